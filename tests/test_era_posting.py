"""Insurance remittances (835) posted to a real practice workbook: matched to Claims by claim ID or by member ID and
date of service; the insurer's payment, CO write-offs and PR left to the patient; denials with their codes;
reversals undone; amounts that add up; nothing posted twice; nothing billed to a patient while the insurer has
not settled the claim."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from billing_addin.bank.x12_835 import parse_835, read_835
from billing_addin.commands.era import import_era, post_era
from billing_addin.commands.statement_of_account import statement
from billing_addin.core.dunning import INSURANCE_PENDING
from billing_addin.core.ledger import build_ledger
from billing_addin.core.schema import INPUT_SHEETS
from billing_addin.loader import load
from billing_addin.workbook.reader import read_book
from billing_addin.workbook.template import build_template
from billing_addin.workbook.writer import apply_patch

SHARED = Path(__file__).resolve().parents[2] / "shared" / "remittance"
D = dt.date
AS_OF = D(2026, 12, 5)
NAMES = {"P1": "Ann Quill", "P2": "Bo Rivers", "P3": "Cy Stone", "P4": "Di Tamm"}
MEMBER_IDS = ("YPB123456789001", "00001612", "M123", "M124", "M555")

# Our own 835 for what the shared samples lack: a payment with CO and PR on a claim without an invoice yet, a
# denial, a renamed claim, and (second file) the reversal of the payment with its correction.
PAID_AND_DENIED = (
    "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*PRACTICE       *261201*0900*^*00501*000000001*0*P*:~"
    "GS*HP*ACMEHEALTH*PRACTICE*20261201*0900*1*X*005010X221A1~"
    "ST*835*0001~"
    "BPR*I*320.00*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*888888888*DA*654321*20261130~"
    "TRN*1*ACME-1130*1999999999~"
    "N1*PR*ACME HEALTH PLAN~"
    "N1*PE*SAMPLE PRACTICE~"
    "CLP*CLM-1*1*400.00*320.00*50.00*12*ACME-77~"
    "NM1*QC*1*STONE*CY****MI*M123~"
    "DTM*232*20261101~"
    "SVC*HC:99213*400.00*320.00**1~"
    "DTM*472*20261101~"
    "CAS*CO*45*30.00~"
    "CAS*PR*1*50.00~"
    "CLP*CLM-2*4*80.00*0**12*ACME-78~"
    "NM1*QC*1*STONE*CY****MI*M124~"
    "DTM*232*20261102~"
    "CAS*CO*197*80.00~"
    "SE*17*0001~GE*1*1~IEA*1*000000001~"
)
REVERSED_AND_CORRECTED = (
    "ST*835*0002~"
    "BPR*I*-20.00*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*888888888*DA*654321*20261204~"
    "TRN*1*ACME-1204*1999999999~"
    "N1*PR*ACME HEALTH PLAN~"
    "CLP*CLM-1*22*-400.00*-320.00*-50.00*12*ACME-77~"
    "NM1*QC*1*STONE*CY****MI*M123~"
    "CAS*CO*45*-30.00~"
    "CAS*PR*1*-50.00~"
    "CLP*CLM-1*1*400.00*300.00*70.00*12*ACME-77A~"
    "NM1*QC*1*STONE*CY****MI*M123~"
    "CAS*CO*45*30.00~"
    "CAS*PR*2*70.00~"
    "SE*12*0002~"
)


def rows_for(name: str, rows: list[dict]) -> list[list]:
    spec = next(s for s in INPUT_SHEETS if s.name == name)
    return [[r.get(f.name) for f in spec.fields] for r in rows]


def practice(tmp_path: Path) -> Path:
    """Four patients; a visit invoice for the Blue Cross claim; claims for every file's claim (the denied sample
    under another claim ID, found by member ID and date of service); a claim still pending with its invoice."""
    customers = [{"Customer ID": cid, "Name": name} for cid, name in NAMES.items()]
    claims = [
        dict(zip(("Claim ID", "Patient Account", "Payer", "Payer Type", "Member ID", "Date of Service", "Billed",
                  "Status", "Submitted Date"), row))
        for row in (
            ("200200964A52", "P1", "Blue Cross NC", "Commercial", MEMBER_IDS[0], D(2010, 12, 31), 2100, "Submitted", D(2011, 1, 2)),
            ("OUR-7", "P2", "Medicare", "Medicare", MEMBER_IDS[1], D(2003, 10, 30), 915.39, "Submitted", D(2003, 11, 1)),
            ("CLM-1", "P3", "Acme Health", "Commercial", MEMBER_IDS[2], D(2026, 11, 1), 400, "Submitted", D(2026, 11, 3)),
            ("CLM-2", "P3", "Acme Health", "Commercial", MEMBER_IDS[3], D(2026, 11, 2), 80, "Submitted", D(2026, 11, 3)),
            ("CLM-9", "P4", "Acme Health", "Commercial", MEMBER_IDS[4], D(2026, 9, 1), 250, "Pending", D(2026, 9, 3)),
        )
    ]  # fmt: skip
    for c in claims:
        c["Procedure Codes"] = "99213"
    invoices = [
        {"Invoice No": "V-1", "Customer ID": "P1", "Invoice Date": D(2010, 12, 31), "Due Date": D(2011, 1, 30),
         "Amount": 2100, "Claim ID": "200200964A52"},
        {"Invoice No": "V-9", "Customer ID": "P4", "Invoice Date": D(2026, 9, 1), "Due Date": D(2026, 10, 1),
         "Amount": 250, "Claim ID": "CLM-9"},
        {"Invoice No": "V-10", "Customer ID": "P4", "Invoice Date": D(2026, 9, 1), "Due Date": D(2026, 10, 1),
         "Amount": 40, "Description": "copay"},
    ]  # fmt: skip
    data = {
        "Customers": rows_for("Customers", customers),
        "Invoices": rows_for("Invoices", invoices),
        "Payments": [],
        "Adjustments": [],
        "Claims": rows_for("Claims", claims),
        "Payers": rows_for("Payers", [{"Payer": "Acme Health", "Timely Filing Days": 90, "Appeal Window Days": 60}]),
        "DenialCodes": rows_for("DenialCodes", [{"Code": "197", "Meaning": "No precertification on file"}]),
    }
    path = tmp_path / "practice.xlsx"
    build_template(path, data, {"Company Name": "Sample Practice", "As-of Date": AS_OF})
    return path


@pytest.fixture
def remittances():
    if not (SHARED / "blue_cross_nc_sample.835").exists():
        pytest.skip(f"the shared 835 samples are missing: looked in {SHARED}")
    return [
        *read_835(SHARED / "blue_cross_nc_sample.835"),
        *read_835(SHARED / "pyx12_835_mult_loops.835"),
        *parse_835(PAID_AND_DENIED, "acme.835"),
    ]


def test_import_matches_every_claim_and_every_claim_adds_up(tmp_path, remittances):
    path = practice(tmp_path)
    result = import_era(load(path, AS_OF), remittances)
    claims = {c["claim_id"]: c for c in result.data["claims"]}
    assert result.data["unmatched"] == []
    assert claims["200200964A52"]["matched_by"] == "claim id"
    assert claims["OUR-7"]["matched_by"] == "member id and date of service"
    assert claims["OUR-7"]["payer_claim_id"] == "2005555A"
    assert {k: c["status"] for k, c in claims.items()} == {
        "200200964A52": "Paid",
        "OUR-7": "Denied",
        "CLM-1": "Paid",
        "CLM-2": "Denied",
    }
    bc = claims["200200964A52"]
    assert (bc["paid"], bc["patient_responsibility"], bc["write_off"]) == (
        Decimal("1922.86"),
        Decimal("142.54"),
        Decimal("34.60"),
    )
    assert [(a["group"], a["code"], a["amount"]) for a in bc["adjustments"]] == [
        ("CO", "42", Decimal("34.60")),
        ("PR", "2", Decimal("117.54")),
        ("PR", "3", Decimal("25.00")),
    ]
    assert bc["adjustments"][0]["who_owes"].startswith("contractual: the practice writes it off")
    assert bc["adjustments"][1]["who_owes"].startswith("patient responsibility: the patient owes it")
    assert claims["OUR-7"]["denial_codes"] == [
        "CO-16",
        "OA-A7",
        "N14",
    ]  # with the remark code (LQ*HE) and claims["CLM-2"]["denial_codes"] == ["CO-197"]
    for c in claims.values():  # billed = paid + every adjustment
        assert c["billed"] == c["paid"] + sum(a["amount"] for a in c["adjustments"])
    for r in remittances:  # the payment = the claims' payments less the provider-level adjustments
        assert r.balances
    assert all(c["post"] for c in claims.values())


def test_post_writes_payments_write_offs_and_claims_and_never_twice(tmp_path, remittances):
    path = practice(tmp_path)
    apply_patch(path, import_era(load(path, AS_OF), remittances).patch)
    again = import_era(load(path, AS_OF), remittances)
    assert again.data["claims"] == [] and len(again.data["skipped"]) == len(remittances)
    posted = post_era(load(path, AS_OF))
    assert not posted.errors, posted.findings
    assert {p["claim_id"]: p["status"] for p in posted.data["posted"]} == {
        "200200964A52": "Paid",
        "OUR-7": "Denied",
        "CLM-1": "Paid",
        "CLM-2": "Denied",
    }
    assert posted.data["invoices_added"] == ["CLM-1"]  # the claim had no invoice: one is made for its visit
    apply_patch(path, posted.patch)
    book = read_book(path)
    claims = book.sheet("Claims")
    by_id = {cid: i for i, cid in enumerate(claims.columns["Claim ID"])}

    def cell(cid, field):
        return claims.columns[field][by_id[cid]]

    assert cell("200200964A52", "Status") == "Paid"
    assert (
        cell("200200964A52", "Insurance Paid") == 1922_86 and cell("200200964A52", "Patient Responsibility") == 142_54
    )
    assert cell("200200964A52", "Allowed") == 1922_86 + 142_54
    assert cell("OUR-7", "Status") == "Denied" and cell("OUR-7", "Denial Codes") == "CO-16; OA-A7; N14"
    assert cell("OUR-7", "Denial Date") == D(2004, 10, 28)
    assert cell("CLM-2", "Denial Codes") == "CO-197"
    assert cell("CLM-9", "Status") == "Pending"  # untouched
    ledger = build_ledger(book, AS_OF)
    assert ledger.invoices["V-1"].outstanding == 142_54  # what the patient owes: PR
    assert ledger.invoices["CLM-1"].outstanding == 50_00
    pay = book.sheet("Payments")
    assert pay.columns["Bank Transaction ID"] == ["ERA:02790758:200200964A52", "ERA:ACME-1130:CLM-1"]
    adj = book.sheet("Adjustments")
    assert list(zip(adj.columns["Type"], adj.columns["Amount"])) == [("Write-off", 34_60), ("Write-off", 30_00)]
    # posting again adds nothing; importing again imports nothing
    assert post_era(load(path, AS_OF)).data["posted"] == []
    assert import_era(load(path, AS_OF), remittances).data["claims"] == []


def test_a_reversal_undoes_the_payment_and_the_correction_posts_anew(tmp_path, remittances):
    path = practice(tmp_path)
    apply_patch(path, import_era(load(path, AS_OF), remittances).patch)
    apply_patch(path, post_era(load(path, AS_OF)).patch)
    correction = parse_835(REVERSED_AND_CORRECTED, "acme-1204.835")
    imported = import_era(load(path, AS_OF), correction)
    assert [(c["status"], c["post"], c["paid"]) for c in imported.data["claims"]] == [("Paid", True, Decimal("-20.00"))]
    apply_patch(path, imported.patch)
    posted = post_era(load(path, AS_OF))
    assert [p["status"] for p in posted.data["posted"]] == ["Paid"]
    apply_patch(path, posted.patch)
    book = read_book(path)
    ledger = build_ledger(book, AS_OF)
    assert ledger.invoices["CLM-1"].outstanding == 70_00  # the corrected claim's patient responsibility
    claims = book.sheet("Claims")
    i = claims.columns["Claim ID"].index("CLM-1")
    assert claims.columns["Insurance Paid"][i] == 300_00 and claims.columns["Patient Responsibility"][i] == 70_00
    kinds = book.sheet("Adjustments").columns["Type"]
    assert (
        kinds.count("Returned Payment") == 1 and kinds.count("Other") == 0
    )  # the net: 20.00 back, no write-off change


SECONDARY = (
    "ST*835*0003~"
    "BPR*I*40.00*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*888888888*DA*654321*20261204~"
    "TRN*1*GAP-1204*1999999999~"
    "N1*PR*MEDIGAP DEMO~"
    "CLP*CLM-1*2*400.00*40.00*5.00*12*GAP-9~"
    "NM1*QC*1*STONE*CY****MI*M123~"
    "CAS*OA*23*350.00~"
    "CAS*CO*45*5.00~"
    "CAS*PR*2*5.00~"
    "SE*9*0003~"
)


def test_a_secondary_payer_posts_its_payment_not_the_earlier_payers_part(tmp_path, remittances):
    """After Acme (primary) leaves 50.00 to the patient, a supplemental plan pays 40.00 of it as secondary and
    writes off 5.00 (its CO): its OA-23 (Acme's part, 350.00) is not written off again, so the patient owes the 5.00
    the secondary says."""
    path = practice(tmp_path)
    apply_patch(path, import_era(load(path, AS_OF), remittances).patch)
    apply_patch(path, post_era(load(path, AS_OF)).patch)
    apply_patch(path, import_era(load(path, AS_OF), parse_835(SECONDARY, "gap.835")).patch)
    posted = post_era(load(path, AS_OF))
    [p] = posted.data["posted"]
    assert "OA adjustments (the earlier payer's part) are not written off" in p["what"]
    apply_patch(path, posted.patch)
    book = read_book(path)
    assert build_ledger(book, AS_OF).invoices["CLM-1"].outstanding == 5_00
    claims = book.sheet("Claims")
    i = claims.columns["Claim ID"].index("CLM-1")
    assert (claims.columns["Insurance Paid"][i], claims.columns["Patient Responsibility"][i]) == (360_00, 5_00)
    reasons = book.sheet("Adjustments").columns["Reason"]
    assert [r for r in reasons if "GAP-1204" in r] == ["insurance adjustment CO-45, MEDIGAP DEMO GAP-1204"]


def test_a_reversal_of_a_claim_never_posted_here_waits_for_the_clerk(tmp_path):
    path = practice(tmp_path)
    result = import_era(load(path, AS_OF), parse_835(REVERSED_AND_CORRECTED, "acme-1204.835"))
    [netted] = result.data["claims"]
    assert (netted["status"], netted["post"], netted["paid"]) == ("Paid", False, Decimal("-20.00"))
    assert "never posted here" in netted["note"]
    assert any(f.code == "claim-not-postable" for f in result.findings)


def test_a_claim_not_found_is_listed_and_nothing_is_lost(tmp_path):
    path = practice(tmp_path)
    text = PAID_AND_DENIED.replace("CLP*CLM-2*", "CLP*ZZZ-404*").replace("MI*M124", "MI*NOPE")
    result = import_era(load(path, AS_OF), parse_835(text, "acme.835"))
    assert [u["payer_claim_id"] for u in result.data["unmatched"]] == ["ZZZ-404"]
    apply_patch(path, result.patch)
    rows = read_book(path).owned_rows["Remittance"]
    assert any("ZZZ-404" in [str(v) for v in r] for r in rows[1:])  # on the sheet, for the clerk to match
    for f in result.findings:  # never a patient's name or member ID in a message
        assert not any(n in f.message for n in (*NAMES.values(), *MEMBER_IDS)), f.message


def test_nothing_with_the_insurer_is_billed_to_the_patient(tmp_path):
    """P4's visit invoice V-9 waits for its claim (Pending); the copay V-10 is P4's to pay."""
    path = practice(tmp_path)
    loaded = load(path, AS_OF)
    [st] = statement(loaded, "P4", D(2026, 9, 1), AS_OF).data["statements"]
    assert st["amount_due"] == Decimal("40.00")
    assert [p["invoice"] for p in st["insurance_pending"]] == ["V-9"]
    from billing_addin.commands.figures import refresh

    data = refresh(loaded).data
    assert {f["invoice_no"] for f in data["fees"]}.isdisjoint({"V-1", "V-9"})  # no late fee while with the insurer
    [letter] = data["dunning"]["letters"]
    assert (letter["customer_id"], letter["invoices"]) == ("P4", ["V-10"])  # the copay, not the pending visit
    [skip] = data["dunning"]["skipped"]  # P1's visit: its claim is still submitted
    assert (skip["customer_id"], skip["reason_code"]) == ("P1", INSURANCE_PENDING)


def test_statement_letters_go_only_to_patients_who_owe_something_of_their_own(tmp_path):
    """P1's only balance is a visit whose claim is still submitted: no statement. P4 owes a copay beside a pending
    visit: a statement. Word files only (the PDF path is the letters tests')."""
    from billing_addin.commands.letters import make_letters

    path = practice(tmp_path)
    result = make_letters(load(path, AS_OF), path, AS_OF, kind="statement", pdf=False)
    made = {x["customer_id"] for x in result.data["letters"]}
    skipped = {s["customer_id"]: s["reason"] for s in result.data["skipped"]}
    assert "P4" in made and "P1" not in made
    assert skipped["P1"].startswith("insurance pending: V-1: claim 200200964A52 is submitted")
    assert not any(n in r for r in skipped.values() for n in (*NAMES.values(), *MEMBER_IDS))


def test_era_cli(tmp_path, capsys, remittances):
    from billing_addin.cli.app import main

    path = practice(tmp_path)
    files = []
    for name in ("blue_cross_nc_sample.835", "pyx12_835_mult_loops.835"):
        files.append(str(SHARED / name))
    ours = tmp_path / "acme.835"
    ours.write_text(PAID_AND_DENIED)
    files.append(str(ours))
    assert main(["era", "import", str(path), *files, "--as-of", str(AS_OF), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {c["claim_id"]: c["matched_by"] for c in out["claims"]}["OUR-7"] == "member id and date of service"
    assert out["claims"][0]["paid"] == "1922.86" and out["unmatched"] == []
    assert main(["era", "import", str(path), *files, "--as-of", str(AS_OF), "--write"]) == 0
    shown = capsys.readouterr().out
    assert "Remittance 02790758" in shown and not any(n in shown for n in (*NAMES.values(), *MEMBER_IDS))
    assert main(["era", "post", str(path), "--as-of", str(AS_OF), "--json"]) == 0
    posted = json.loads(capsys.readouterr().out)["posted"]
    assert len(posted) == 4
    audit = read_book(path).owned_rows["Audit"]
    assert not any(n in str(r) for r in audit for n in (*NAMES.values(), *MEMBER_IDS))
    bad = tmp_path / "bad.835"
    bad.write_text("not an 835")
    assert main(["era", "import", str(path), str(bad)]) == 2


def test_no_sheet_answers_to_another_sheets_name():
    """A practice's Payers sheet is the insurers', never taken for PayerAliases (the bank payers' sheet)."""
    from billing_addin.core.schema import normalize_header

    names = {normalize_header(s.name): s.name for s in INPUT_SHEETS}
    for spec in INPUT_SHEETS:
        for alias in spec.aliases:
            assert names.get(normalize_header(alias), spec.name) == spec.name, (spec.name, alias)


def test_the_insurance_buttons_up_to_the_xlwings_boundary(tmp_path, remittances):
    """Import Remittance (the FileHost picks the files a clerk would pick), Post Remittance, Claims Worklist and
    Appeal Letters for Selected Claims; Excel's dialogs and message boxes are the host's."""
    from billing_addin.excel.host import FileHost
    from billing_addin.excel.ribbon import dispatch

    path = practice(tmp_path)
    ours = tmp_path / "acme.835"
    ours.write_text(PAID_AND_DENIED)
    host = FileHost(path, files=[SHARED / "blue_cross_nc_sample.835", ours])
    dispatch("era_import", host)
    assert "3 claim(s) matched" in host.messages[-1] and "CLM-2: Denied" in host.messages[-1]
    dispatch("era_post", host)
    assert host.messages[-1].startswith("3 claim payment(s) posted")
    dispatch("era_post", host)
    assert host.messages[-1].startswith("Nothing was posted")
    dispatch("claims_worklist", host)
    assert "ClaimsWorklist" in host.messages[-1] and "CLM-2: appeal by" in host.messages[-1]
    assert "ClaimsWorklist" in read_book(path).sheet_titles
    claims_rows = read_book(path).sheet("Claims")
    row = claims_rows.rows[claims_rows.columns["Claim ID"].index("CLM-2")]
    selected = FileHost(path, selection=("Claims", [row]))
    dispatch("appeal_letters_selected", selected)
    assert "Made 1 appeal letter(s)" in selected.messages[-1]
    for message in (*host.messages, *selected.messages):
        assert not any(n in message for n in (*NAMES.values(), *MEMBER_IDS)), message


def test_the_insurers_bank_deposit_is_known_as_its_remittance_never_a_patients_payment(tmp_path, remittances):
    """The EFT that brought Acme's 320.00 names the remittance's trace number: payments import leaves it to era
    post (skipped, with why); a deposit naming it with another amount is not matched either, and says so."""
    from billing_addin.commands.payments import import_payments
    from billing_addin.core.bank_lines import BankLine
    from billing_addin.core.matching import SKIPPED, UNMATCHED

    path = practice(tmp_path)
    apply_patch(path, import_era(load(path, AS_OF), remittances).patch)
    lines = [
        BankLine(
            1,
            D(2026, 11, 30),
            320_00,
            "USD",
            "HCCLAIMPMT ACME HEALTH TRN*1*ACME-1130*1999999999",
            "ACME HEALTH",
            "",
            "T1",
        ),
        BankLine(2, D(2026, 11, 30), 300_00, "USD", "ACME HEALTH EFT ACME-1130", "ACME HEALTH", "", "T2"),
        BankLine(3, D(2026, 11, 30), 40_00, "USD", "copay V-10", "Di Tamm", "", "T3"),
    ]
    result = import_payments(load(path, AS_OF), lines)
    first, second, third = result.data["lines"]
    assert first["match"] == SKIPPED and "remittance ACME-1130" in first["why"] and "era post" in first["why"]
    assert second["match"] == UNMATCHED and "whose payment is 320.00, not 300.00" in second["why"]
    assert third["invoices"] == ["V-10"]


def test_refresh_writes_the_claims_worklist_for_a_practice(tmp_path):
    """A manager's refresh --write of a practice's book brings the ClaimsWorklist up to date with the rest."""
    from billing_addin.commands.figures import refresh

    path = practice(tmp_path)
    names = [s.name for s in refresh(load(path, AS_OF)).patch.sheets]
    assert "ClaimsWorklist" in names and names[-1] == "Audit"
    apply_patch(path, refresh(load(path, AS_OF)).patch)
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ClaimsWorklist").to_python()
    assert rows[0][0] == "Claim ID" and {r[0] for r in rows[1:]} == {"200200964A52", "OUR-7", "CLM-1", "CLM-2", "CLM-9"}


def test_a_claims_list_pasted_from_a_practice_system_is_read_whole(tmp_path):
    """Headers as practice-management exports name them, a plain range (no Table), statuses in capitals, money as
    "$1,250.00" text, US dates as text, claim numbers as numbers: every column is read, none is ignored, and an
    835 naming claim 100234 finds its row."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Customer ID", "Name"])
    ws.append(["P1", "Ann Quill"])
    ws = wb.create_sheet("Insurance Claims")
    ws.append(
        ["Claim #", "Account Number", "Insurance Company", "Policy Number", "DOS", "CPT Codes", "Charges",
         "Allowed Amt", "Ins Paid", "Pt Resp", "Claim Status", "Date Submitted", "Reason Codes", "Auth Number",
         "Auth Status"]
    )  # fmt: skip
    ws.append([100234, "P1", "Acme Health", "M123", "11/01/2026", "99213", "$400.00", None, None, None, "SUBMITTED",
               "11/03/2026", None, None, None])  # fmt: skip
    for name, header in (
        ("Invoices", ["Invoice No", "Customer ID", "Invoice Date", "Amount"]),
        ("Payments", ["Payment ID", "Customer ID", "Payment Date", "Amount"]),
    ):
        wb.create_sheet(name).append(header)
    ws = wb.create_sheet("Settings")
    ws.append(["Setting", "Value"])
    ws.append(["Company Name", "Sample Practice"])
    ws.append(["Date Order", "MDY"])  # 11/01/2026 alone cannot tell day from month: the book says
    path = tmp_path / "pasted.xlsx"
    wb.save(path)
    book = read_book(path)
    sd = book.sheet("Claims")
    assert sd.ignored == [] and set(sd.letters) == {
        "Claim ID", "Patient Account", "Payer", "Member ID", "Date of Service", "Procedure Codes", "Billed",
        "Allowed", "Insurance Paid", "Patient Responsibility", "Status", "Submitted Date", "Denial Codes",
        "Preauth Number", "Preauth Status",
    }  # fmt: skip
    assert (sd.columns["Claim ID"], sd.columns["Billed"], sd.columns["Status"]) == (["100234"], [400_00], ["Submitted"])
    assert sd.columns["Date of Service"] == [D(2026, 11, 1)]
    text = PAID_AND_DENIED.replace("CLP*CLM-1*", "CLP*100234*")
    [match] = [c for c in import_era(load(path, AS_OF), parse_835(text, "acme.835")).data["claims"]]
    assert (match["claim_id"], match["matched_by"], match["status"]) == ("100234", "claim id", "Paid")


def test_post_refuses_whole_when_payments_cannot_take_the_insurers_payment(tmp_path, remittances):
    """Without Payments' Bank Transaction ID (what keeps a payment from being posted twice) nothing is posted:
    no payment, no write-off, no claim changed; the finding names the header row."""
    import openpyxl

    path = practice(tmp_path)
    apply_patch(path, import_era(load(path, AS_OF), remittances).patch)
    wb = openpyxl.load_workbook(path)
    ws = wb["Payments"]
    cell = next(c for c in ws[1] if c.value == "Bank Transaction ID")
    cell.value = "Bank Ref Something"
    ws.tables["tblPayments"].tableColumns[cell.column - 1].name = "Bank Ref Something"
    wb.save(path)
    result = post_era(load(path, AS_OF))
    assert result.patch.is_empty and result.data["posted"] == []
    [f] = [f for f in result.errors if f.code == "missing-column"]
    assert f.sheet == "Payments" and f.cell == "A1" and "Bank Transaction ID" in f.message


def test_era_import_with_the_checks_in_another_process_says_the_same(tmp_path, capsys, monkeypatch, remittances):
    """On a big book the checks run in a forked process while the files are read and matched (BILLING_PROCESSES
    forces that on a small one): the same claims, the same findings, and a bad file still refused."""
    from billing_addin.cli import parallel_refresh
    from billing_addin.cli.app import main

    path = practice(tmp_path)
    ours = tmp_path / "acme.835"
    ours.write_text(PAID_AND_DENIED)
    args = ["era", "import", str(path), str(SHARED / "pyx12_835_mult_loops.835"), str(ours), "--as-of", str(AS_OF)]
    outputs = []
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel_refresh.PROCESSES_ENV, processes)
        assert main([*args, "--json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] and len(outputs[1]["claims"]) == 3
    # Posting too: the same rows posted either way, and a held-back patient (an error on P3's claim row) waits
    # either way (the posting worked out beside the checks is redone holding back).
    import shutil

    import openpyxl

    assert main([*args, "--write"]) == 0
    capsys.readouterr()
    wb = openpyxl.load_workbook(path)
    ws = wb["Claims"]
    ws.cell(row=5, column=next(c.column for c in ws[1] if c.value == "Insurance Paid"), value=999)
    ws.cell(row=5, column=next(c.column for c in ws[1] if c.value == "Allowed"), value=1)  # CLM-2: paid over allowed
    wb.save(path)
    posted = []
    for processes in ("1", "2"):
        copy = tmp_path / f"copy{processes}.xlsx"
        shutil.copy(path, copy)
        monkeypatch.setenv(parallel_refresh.PROCESSES_ENV, processes)
        main(["era", "post", str(copy), "--as-of", str(AS_OF), "--json"])
        posted.append(json.loads(capsys.readouterr().out))
    assert posted[0]["posted"] == posted[1]["posted"] and posted[0]["not_posted"] == posted[1]["not_posted"]
    assert {p["claim_id"] for p in posted[1]["posted"]} == {"OUR-7"}  # P3's two claims wait for the error
    assert {x["claim_id"] for x in posted[1]["not_posted"]} == {"CLM-1", "CLM-2"}
    bad = tmp_path / "bad.835"
    bad.write_text("Date,Amount\n")
    assert main(["era", "import", str(path), str(bad)]) == 2
    assert "not an X12 835" in capsys.readouterr().err
