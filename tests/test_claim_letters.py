"""Letters to payers about claims: `billing letters --kind appeal` (a redetermination request for a denied claim)
and `--kind preauth` (a prior authorization request).

Real parts: a real .xlsx book (Customers as patients, Claims, Payers, DenialCodes, Settings) written with the
template builder, the command line run on it, DOCX from the shipped templates and PDF from LibreOffice through the
same engine every letter uses, read back with pdftotext; the Letters and Audit sheets read back with openpyxl.
Every date is fixed (--as-of, and the clock under time_machine).

What is checked is what 42 CFR 405.944(b) asks of a redetermination request (beneficiary, Medicare number,
services and dates, who asks, signed) and HIPAA's minimum necessary (45 CFR 164.502(b)): the patient's name and
member number are in the letter to the payer and nowhere else (file names, the Letters and Audit sheets, messages).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import time_machine
from docx import Document

from billing_addin.cli.app import main
from billing_addin.core.schema import INPUT_SHEETS
from billing_addin.workbook.template import build_template

D = dt.date
AS_OF = "2026-05-01"
needs_pdf = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed",
)

MEDICARE_PATIENT, MEDICARE_NUMBER = "Eleanor Whitfield", "1EG4-TE5-MK72"
COMMERCIAL_PATIENT, COMMERCIAL_MEMBER = "Marcus Delgado", "BHH99887766"
SUBMITTED_PATIENT, SUBMITTED_MEMBER = "Priya Raman", "7QW2-AB3-CD45"
PREAUTH_PATIENT, PREAUTH_MEMBER = "Tomasz Kowalczyk", "BHH55512345"
PRIVATE = (
    MEDICARE_PATIENT,
    MEDICARE_NUMBER,
    COMMERCIAL_PATIENT,
    COMMERCIAL_MEMBER,
    SUBMITTED_PATIENT,
    SUBMITTED_MEMBER,
    PREAUTH_PATIENT,
    PREAUTH_MEMBER,
)
NOTE = "Patient asked us not to call her at work"  # the Notes column: never on a letter
PRACTICE = "Riverside Family Practice"
MEANING_16 = "Something the payer needs is missing from the claim; add it and resubmit"

CLAIMS = [
    {  # Medicare, denied 10 April: 120 days to appeal, until 8 August
        "Claim ID": "CLM-1001",
        "Patient Account": "P100",
        "Payer": "Medicare Part B",
        "Payer Type": "Medicare",
        "Member ID": MEDICARE_NUMBER,
        "Date of Service": D(2026, 3, 2),
        "Procedure Codes": "99214; 93000",
        "Billed": 245.00,
        "Status": "Denied",
        "Submitted Date": D(2026, 3, 5),
        "Denial Date": D(2026, 4, 10),
        "Denial Codes": "CO-16; N290",
        "Notes": NOTE,
    },
    {  # commercial, denied 20 April: the payer's 180 days, until 17 October
        "Claim ID": "CLM-1002",
        "Patient Account": "P200",
        "Payer": "Blue Harbor Health",
        "Payer Type": "Commercial",
        "Member ID": COMMERCIAL_MEMBER,
        "Date of Service": D(2026, 4, 1),
        "Procedure Codes": "97110",
        "Billed": 120.00,
        "Status": "Denied",
        "Submitted Date": D(2026, 4, 3),
        "Denial Date": D(2026, 4, 20),
        "Denial Codes": "CO-197",
    },
    {
        "Claim ID": "CLM-1003",
        "Patient Account": "P300",
        "Payer": "Medicare Part B",
        "Payer Type": "Medicare",
        "Member ID": SUBMITTED_MEMBER,
        "Date of Service": D(2026, 4, 14),
        "Procedure Codes": "99213",
        "Billed": 110.00,
        "Status": "Submitted",
        "Submitted Date": D(2026, 4, 16),
    },
    {  # an MRI planned for 15 June that needs the payer's authorization first
        "Claim ID": "CLM-1004",
        "Patient Account": "P400",
        "Payer": "Blue Harbor Health",
        "Payer Type": "Commercial",
        "Member ID": PREAUTH_MEMBER,
        "Date of Service": D(2026, 6, 15),
        "Procedure Codes": "73721",
        "Status": "Draft",
        "Preauth Status": "Needed",
        "Notes": NOTE,
    },
]


def book_file(tmp_path: Path, claims=CLAIMS) -> Path:
    """The practice's workbook: four patients, their claims, two payers, one denial code in its own words."""
    data = {
        "Customers": [
            {"Customer ID": "P100", "Name": MEDICARE_PATIENT, "Address Line 1": "12 Elm Street", "City": "Fargo"},
            {"Customer ID": "P200", "Name": COMMERCIAL_PATIENT},
            {"Customer ID": "P300", "Name": SUBMITTED_PATIENT},
            {"Customer ID": "P400", "Name": PREAUTH_PATIENT},
        ],
        "Invoices": [  # what P100 owes herself: a statement to her must not gain the claim's detail
            {
                "Invoice No": "INV-501",
                "Customer ID": "P100",
                "Invoice Date": D(2026, 3, 2),
                "Due Date": D(2026, 4, 1),
                "Amount": 40.00,
                "Description": "Office visit copay",
            }
        ],
        "Payments": [],
        "Adjustments": [],
        "PaymentPlans": [],
        "PlanInstallments": [],
        "Claims": claims,
        "Payers": [
            {
                "Payer": "Medicare Part B",
                "Timely Filing Days": None,
                "Appeals Address": "Redeterminations, PO Box 6775, Fargo ND 58108",
            },
            {
                "Payer": "Blue Harbor Health",
                "Appeal Window Days": 180,
                "Appeals Address": "Appeals Unit, 400 Harbor Blvd, Portland ME 04101",
            },
        ],
        "DenialCodes": [{"Code": "16", "Meaning": MEANING_16, "Action": "Fix and resubmit"}],
    }
    rows = {}
    for spec in INPUT_SHEETS:
        if spec.name in data:
            rows[spec.name] = [[r.get(f.name) for f in spec.fields] for r in data[spec.name]]
    path = tmp_path / "practice.xlsx"
    settings = {
        "Company Name": PRACTICE,
        "Company Address": "200 Main Street, Fargo ND 58102",
        "Company Phone": "+1 701 555 0100",
        "Default Fee Policy": "Exempt",
    }
    build_template(path, rows, settings)
    return path


def letters(path: Path, capsys, *args: str, as_of: str = AS_OF) -> tuple[int, dict, str]:
    """`billing letters BOOK ... --json` at 9:00 on the as-of date: (exit status, its JSON, stderr)."""
    day = D.fromisoformat(as_of)
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 9), tick=False):
        code = main(["letters", str(path), "--as-of", as_of, *args, "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def pdf_text(path: str | Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_text(path: str | Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join([*(p.text for p in doc.paragraphs), *cells]).split())


def sheet_rows(path: Path, name: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=True)
    if name not in wb.sheetnames:
        return []
    rows = list(wb[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def assert_nothing_private(path: Path, data: dict, err: str = "") -> None:
    """No patient name or member number in a file name, on the Letters or Audit sheet, or in any message."""
    names = [Path(p).name for p in path.parent.rglob("*") if p.is_file()]
    cells = [str(v) for sheet in ("Letters", "Audit") for r in sheet_rows(path, sheet) for v in r.values() if v]
    messages = [f["message"] + f["hint"] for f in data.get("findings", [])]
    messages += [s["reason"] for s in data.get("skipped", [])]
    for secret in PRIVATE:
        for where, texts in (("file name", names), ("Letters/Audit cell", cells), ("message", [*messages, err])):
            assert not any(secret.casefold() in t.casefold() for t in texts), f"{secret} in a {where}"


# --- the appeal ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@needs_pdf
def test_appeal_pdf_carries_what_a_redetermination_request_needs_and_no_more(tmp_path, capsys):
    path = book_file(tmp_path)
    code, data, err = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001")
    assert code == 0, data["findings"]
    [made] = data["letters"]
    assert made["reference"] == "APPEAL-CLM-1001" and made["invoices"] == ["CLM-1001"]
    assert Path(made["pdf"]).name == "appeal_CLM-1001_2026-05-01.pdf"
    text = pdf_text(made["pdf"])
    flat = " ".join(text.split())

    # 42 CFR 405.944(b): the beneficiary, the Medicare number, the services and their dates, who asks, signed.
    assert MEDICARE_PATIENT in flat and MEDICARE_NUMBER in flat
    assert "99214" in text and "93000" in text
    assert "March 2, 2026" in flat  # the date of service, written out
    assert text.count("Mar 2, 2026") == 2  # and on each service's row
    assert f"{PRACTICE}, the provider of the services, on behalf of the beneficiary" in flat
    assert "Signature of the requester or representative" in flat and "Printed name and title" in flat
    # The claim, the denial and its codes: 16's meaning in the practice's words, N290 bare.
    assert "CLM-1001" in text and "APPEAL-CLM-1001" in text
    assert "denied on April 10, 2026" in flat and "Appeal deadline August 8, 2026" in flat
    assert "Medicare Part B" in flat and "Redeterminations" in flat and "PO Box 6775" in flat
    assert f"CO-16 {MEANING_16}" in flat
    n290 = [line for line in text.splitlines() if "N290" in line]
    assert [line.strip() for line in n290] == ["N290"]
    # The part the clerk fills in, and the enclosures to tick.
    assert "Clinical justification" in flat and "To be completed before sending" in flat
    assert "Enclosures" in flat
    for item in (
        "Copy of the remittance advice or initial determination notice",
        "Medical records for the date of service",
        "Letter of medical necessity from the treating physician",
    ):
        assert item in flat, item
    # Minimum necessary: no notes, no other claim, no patient address, no invoices.
    assert NOTE not in flat and "CLM-1002" not in flat and COMMERCIAL_PATIENT not in flat
    assert "12 Elm Street" not in flat and "INV-501" not in flat
    assert "{{" not in text and "{%" not in text

    log = sheet_rows(path, "Letters")
    assert [(r["Kind"], r["Customer ID"], r["Invoices"], r["Reference"], r["Status"]) for r in log] == [
        ("appeal", "P100", "CLM-1001", "APPEAL-CLM-1001", "made")
    ]
    assert log[0]["PDF"].endswith("appeal_CLM-1001_2026-05-01.pdf") and len(log[0]["PDF SHA256"]) == 64
    assert_nothing_private(path, data, err)

    # The claim is now Appealed, appealed on the as-of date; no other claim changed.
    claims = {r["Claim ID"]: r for r in sheet_rows(path, "Claims")}
    assert (claims["CLM-1001"]["Status"], claims["CLM-1001"]["Appeal Date"]) == ("Appealed", dt.datetime(2026, 5, 1))
    assert [claims[c]["Status"] for c in ("CLM-1002", "CLM-1003", "CLM-1004")] == [c["Status"] for c in CLAIMS[1:4]]

    # Never twice: the same command again makes nothing and says why (the claim is Appealed now).
    code, again, err = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001")
    assert code == 1 and again["letters"] == []
    assert any("Claim CLM-1001 is already Appealed" in f["message"] for f in again["findings"])
    assert len(sheet_rows(path, "Letters")) == 1
    assert_nothing_private(path, again, err)
    # With --again it is sent once more, and logged once more.
    code, again, err = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001", "--no-pdf", "--again")
    assert code == 0 and [x["reference"] for x in again["letters"]] == ["APPEAL-CLM-1001"]
    assert len(sheet_rows(path, "Letters")) == 2


def test_without_claims_every_denied_claim_not_yet_appealed_within_its_deadline(tmp_path, capsys):
    path = book_file(tmp_path)
    code, data, _ = letters(path, capsys, "--kind", "appeal", "--no-pdf")
    assert code == 0
    assert [(x["reference"], x["customer_id"]) for x in data["letters"]] == [
        ("APPEAL-CLM-1001", "P100"),
        ("APPEAL-CLM-1002", "P200"),
    ]
    commercial = docx_text(data["letters"][1]["docx"])
    assert "Blue Harbor Health" in commercial and "Appeals Unit" in commercial and "October 17, 2026" in commercial
    assert "CO-197" in commercial and MEANING_16 not in commercial  # a code not on DenialCodes: bare
    assert [r["Reference"] for r in sheet_rows(path, "Letters")] == ["APPEAL-CLM-1001", "APPEAL-CLM-1002"]

    # Both claims are Appealed now: running again makes nothing new.
    assert [r["Status"] for r in sheet_rows(path, "Claims")][:2] == ["Appealed", "Appealed"]
    code, again, _ = letters(path, capsys, "--kind", "appeal", "--no-pdf")
    assert code == 0 and again["letters"] == []
    assert len(sheet_rows(path, "Letters")) == 2

    # On 1 September Medicare's 120 days (to 8 August) are over: only the commercial claim is still due, and
    # that one is in the log already. A claim with an Appeal Date was appealed: no letter.
    later = tmp_path / "later"
    later.mkdir()
    claims = [{**CLAIMS[0]}, {**CLAIMS[1], "Appeal Date": D(2026, 5, 2)}, *CLAIMS[2:]]
    path = book_file(later, claims)
    code, data, err = letters(path, capsys, "--kind", "appeal", "--no-pdf", as_of="2026-09-01")
    assert code == 0 and data["letters"] == []
    assert data["skipped"] == [
        {
            "customer_id": "P100",
            "reason": "claim CLM-1001: the appeal deadline passed on 2026-08-08 (Medicare redetermination: 120 "
            "days after the denial); name it with --claims to appeal anyway",
        }
    ]
    # Named, it is made, with a warning that it is late.
    code, data, err = letters(path, capsys, "--kind", "appeal", "--no-pdf", "--claims", "CLM-1001", as_of="2026-09-01")
    assert code == 0 and [x["reference"] for x in data["letters"]] == ["APPEAL-CLM-1001"]
    assert [f["code"] for f in data["findings"]] == ["appeal-deadline-passed"]
    assert_nothing_private(path, data, err)


def test_a_claim_not_denied_or_not_on_claims_is_refused_naming_the_claim_not_the_patient(tmp_path, capsys):
    path = book_file(tmp_path)
    code, data, err = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001,CLM-1003", "--no-pdf")
    assert code == 1 and data["letters"] == []
    [refusal] = [f for f in data["findings"] if f["code"] == "claim-not-denied"]
    assert refusal["message"].startswith("Claim CLM-1003 is Submitted, not Denied") and refusal["cell"].startswith("L")
    assert not any(Path(p).suffix in (".docx", ".pdf") for p in tmp_path.rglob("*"))  # not even CLM-1001's
    assert sheet_rows(path, "Letters") == []
    assert_nothing_private(path, data, err)

    code, data, err = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-9999", "--no-pdf")
    assert code == 1 and data["letters"] == []
    assert "Claim CLM-9999 is not on the Claims sheet" in " ".join(f["message"] for f in data["findings"])

    # On the screen too: the message names the claim, never the patient.
    with time_machine.travel(dt.datetime(2026, 5, 1, 9), tick=False):
        assert main(["letters", str(path), "--as-of", AS_OF, "--kind", "appeal", "--claims", "CLM-1003"]) == 1
    out = capsys.readouterr()
    screen = out.out + out.err
    assert "CLM-1003" in screen and "not Denied" in screen
    assert SUBMITTED_PATIENT not in screen and SUBMITTED_MEMBER not in screen


def test_an_appealed_claim_is_appealed_again_only_with_again(tmp_path, capsys):
    path = book_file(tmp_path, [{**CLAIMS[0], "Status": "Appealed", "Appeal Date": D(2026, 4, 20)}])
    code, data, _ = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001", "--no-pdf")
    assert code == 1 and "already Appealed" in data["findings"][0]["message"]
    assert "--again" in data["findings"][0]["hint"]
    code, data, _ = letters(path, capsys, "--kind", "appeal", "--claims", "CLM-1001", "--no-pdf", "--again")
    assert code == 0 and [x["reference"] for x in data["letters"]] == ["APPEAL-CLM-1001"]


def test_a_claim_without_a_member_number_gets_no_appeal_and_the_cell_to_fill(tmp_path, capsys):
    path = book_file(tmp_path, [{**CLAIMS[0], "Member ID": None}])
    code, data, err = letters(path, capsys, "--kind", "appeal", "--no-pdf")
    assert code == 0 and data["letters"] == []
    [skip] = data["skipped"]
    assert skip == {"customer_id": "P100", "reason": "claim CLM-1001 lacks the member number (Claims!E2 is blank)"}
    assert_nothing_private(path, data, err)


# --- the preauthorization request ----------------------------------------------------------------------------


@pytest.mark.slow
@needs_pdf
def test_preauth_request_for_each_claim_that_needs_one_logged_and_marked_requested(tmp_path, capsys):
    path = book_file(tmp_path)
    before = sheet_rows(path, "Claims")
    code, data, err = letters(path, capsys, "--kind", "preauth")
    assert code == 0, data["findings"]
    [made] = data["letters"]
    assert made["reference"] == "PREAUTH-CLM-1004" and Path(made["pdf"]).name == "preauth_CLM-1004_2026-05-01.pdf"
    flat = " ".join(pdf_text(made["pdf"]).split())
    assert PREAUTH_PATIENT in flat and PREAUTH_MEMBER in flat and "73721" in flat
    assert "Planned date of service June 15, 2026" in flat
    assert f"{PRACTICE} requests prior authorization from Blue Harbor Health" in flat
    assert "Clinical reason for the request" in flat and "Signature of the requester or representative" in flat
    assert "Prior Authorization Department" in flat
    assert NOTE not in flat and "birth" not in flat.casefold() and "CLM-1001" not in flat

    after = sheet_rows(path, "Claims")
    assert [r["Preauth Status"] for r in after] == [*(r["Preauth Status"] for r in before[:3]), "Requested"]
    assert [{**r, "Preauth Status": None} for r in after] == [{**r, "Preauth Status": None} for r in before]
    assert [(r["Kind"], r["Reference"]) for r in sheet_rows(path, "Letters")] == [("preauth", "PREAUTH-CLM-1004")]
    assert_nothing_private(path, data, err)

    code, again, _ = letters(path, capsys, "--kind", "preauth")
    assert code == 0 and again["letters"] == [] and len(sheet_rows(path, "Letters")) == 1


def test_preauth_for_named_claims_and_status_in_any_case(tmp_path, capsys):
    claims = [*CLAIMS[:3], {**CLAIMS[3], "Preauth Status": "REQUIRED"}]
    path = book_file(tmp_path, claims)
    code, data, _ = letters(path, capsys, "--kind", "preauth", "--no-pdf")
    assert code == 0 and [x["reference"] for x in data["letters"]] == ["PREAUTH-CLM-1004"]
    code, data, _ = letters(path, capsys, "--kind", "preauth", "--no-pdf", "--claims", "CLM-1003")
    assert code == 0 and [x["reference"] for x in data["letters"]] == ["PREAUTH-CLM-1003"]
    assert "Mar" not in docx_text(data["letters"][0]["docx"])  # CLM-1003's own date, no other claim's
    code, data, _ = letters(path, capsys, "--kind", "preauth", "--no-pdf", "--claims", "CLM-404")
    assert code == 1 and data["letters"] == []


# --- patients' own letters -------------------------------------------------------------------------------------


def test_a_patients_statement_gains_no_claim_detail(tmp_path, capsys):
    path = book_file(tmp_path)
    code, data, _ = letters(path, capsys, "--kind", "statement", "--customers", "P100", "--no-pdf")
    assert code == 0 and len(data["letters"]) == 1
    text = docx_text(data["letters"][0]["docx"])
    assert MEDICARE_PATIENT in text and "INV-501" in text
    for detail in ("99214", "93000", "CLM-1001", MEDICARE_NUMBER, "CO-16", "N290", MEANING_16):
        assert detail not in text, detail


def test_the_payers_claim_number_comes_from_the_remittance_sheet_when_it_has_one():
    """The owned Remittance sheet (835 posting) may keep the payer's claim number (CLP07); without that sheet or
    column the letter simply leaves it out."""
    from billing_addin.core.claim_letters import payer_references
    from billing_addin.workbook.reader import book_from_rows

    book = book_from_rows({"Customers": [["Customer ID", "Name"], ["P100", "X"]]}, {"Company Name": "X"})
    assert payer_references(book) == {}
    book.owned_rows["Remittance"] = [
        ["Trace Number", "Row Kind", "Claim ID", "Payer Claim Ref"],
        ["T1", "Claim", "CLM-1001", "ICN-OLD"],
        ["T2", "Claim", "CLM-1001", "ICN-NEW"],
        ["T2", "Line", "CLM-1001", "ICN-LINE"],
        ["T3", "Claim", "CLM-1002", None],
    ]
    assert payer_references(book) == {"clm-1001": "ICN-NEW"}
