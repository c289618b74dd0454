"""The claims worklist: filing and appeal deadlines as at fixed dates (month ends, leap days, the edge of "due
soon"), what to do about each claim, the order, `billing claims` (JSON, table, --write) and the Excel functions.
Real .xlsx files written from the template and read back; no test uses today's date."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from claim_books import MEMBER_IDS, PATIENTS, claim, claims_book

from billing_addin.cli.app import main
from billing_addin.commands.claims import claims
from billing_addin.loader import load

D = dt.date


def worklist(tmp_path, rows, as_of, **book):
    path = claims_book(tmp_path / "claims.xlsx", rows, **book)
    return {c["claim_id"]: c for c in claims(load(path, as_of)).data["claims"]}


def draft(claim_id, dos, **kw):
    return claim(claim_id, Status="Draft", Submitted_Date=None, Date_of_Service=dos, **kw)


# --- deadlines and what to do -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "days_left", "due_soon", "past", "action"),
    [
        (D(2026, 4, 17), 14, True, False, "file by 2026-05-01"),  # the edge of 14 days ahead
        (D(2026, 4, 16), 15, False, False, "file by 2026-05-01"),
        (D(2026, 4, 30), 1, True, False, "file by 2026-05-01"),
        (D(2026, 5, 1), 0, True, False, "file by 2026-05-01"),  # the last day is still in time
        (D(2026, 5, 2), -1, False, True, "filing deadline passed on 2026-05-01"),
    ],
)
def test_filing_deadline_of_a_draft_across_a_month_end(tmp_path, as_of, days_left, due_soon, past, action):
    """Acme Health allows 90 days: a service on 31 January 2026 must be filed by 1 May (February has 28 days)."""
    [c] = worklist(tmp_path, [draft("CL-1", D(2026, 1, 31))], as_of).values()
    assert (c["filing_deadline"], c["filed"], c["deadline"]) == (D(2026, 5, 1), False, D(2026, 5, 1))
    assert (c["days_left"], c["due_soon"], c["past"], c["action"]) == (days_left, due_soon, past, action)


def test_medicare_one_year_from_a_leap_day_and_120_days_to_appeal(tmp_path):
    rows = [
        draft("CL-1", D(2024, 2, 29), Payer="Medicare", Payer_Type="Medicare"),
        claim("CL-2", Payer="Medicare", Payer_Type="Medicare", Status="Denied", Date_of_Service=D(2024, 10, 1),
              Submitted_Date=D(2024, 10, 5), Denial_Date=D(2024, 10, 31), Denial_Codes="CO-16"),
    ]  # fmt: skip
    found = worklist(tmp_path, rows, D(2025, 2, 28))
    assert found["CL-1"]["filing_deadline"] == D(2025, 2, 28) and found["CL-1"]["days_left"] == 0
    assert found["CL-1"]["filing_basis"] == "Medicare: 1 year after the date of service"
    assert found["CL-2"]["appeal_deadline"] == D(2025, 2, 28)  # 31 October + 120 days
    assert found["CL-2"]["action"] == "appeal by 2025-02-28" and found["CL-2"]["due_soon"]
    later = worklist(tmp_path, rows, D(2025, 3, 1))
    assert later["CL-1"]["action"] == "filing deadline passed on 2025-02-28" and later["CL-1"]["past"]
    assert later["CL-2"]["action"] == "appeal window closed on 2025-02-28" and later["CL-2"]["days_left"] == -1


def test_a_submitted_claim_shows_its_filing_deadline_met_and_follows_up_after_30_days(tmp_path):
    rows = [
        claim("CL-1", Date_of_Service=D(2026, 5, 29), Submitted_Date=D(2026, 5, 30)),
        claim("CL-2", Date_of_Service=D(2026, 5, 29), Submitted_Date=D(2026, 5, 31), Status="Pending"),
        claim("CL-3", Date_of_Service=D(2026, 1, 2), Submitted_Date=D(2026, 4, 30)),  # after its 2 April deadline
        claim("CL-4", Date_of_Service=D(2026, 6, 1), Submitted_Date=None),  # Submitted, but when?
    ]
    found = worklist(tmp_path, rows, D(2026, 6, 30))
    one = found["CL-1"]
    assert (one["filing_deadline"], one["filed"], one["deadline"], one["days_left"]) == (
        D(2026, 8, 27),
        True,
        None,
        None,
    )
    assert one["action"] == "with insurance 31 days: follow up" and not one["due_soon"] and not one["past"]
    assert found["CL-2"]["action"] == "nothing due"  # 30 days: not yet
    assert found["CL-3"]["action"].startswith("filed 2026-04-30, after the filing deadline 2026-04-02")
    four = found["CL-4"]
    assert not four["filed"] and four["action"] == "file by 2026-08-30 (or type the Submitted Date)"


def test_denied_without_a_known_window_and_an_appeal_already_sent(tmp_path):
    rows = [
        claim("CL-1", Status="Denied", Payer="Slowpay Mutual", Denial_Date=D(2026, 6, 1), Denial_Codes="50"),
        claim("CL-2", Status="Denied", Denial_Date=D(2026, 6, 1), Denial_Codes="50", Appeal_Date=D(2026, 6, 20)),
        claim("CL-3", Status="Appealed", Denial_Date=D(2026, 6, 1), Denial_Codes="50", Appeal_Date=D(2026, 6, 20)),
    ]
    found = worklist(tmp_path, rows, D(2026, 6, 30))
    assert found["CL-1"]["appeal_deadline"] is None and found["CL-1"]["action"] == (
        "denied, no appeal; no appeal deadline known (no Appeal Window Days for payer Slowpay Mutual on Payers)"
    )
    assert found["CL-2"]["action"] == found["CL-3"]["action"] == "nothing due"
    assert found["CL-2"]["appeal_deadline"] == D(2026, 7, 31)  # shown, but the appeal went out
    result = claims(load(tmp_path / "claims.xlsx", D(2026, 6, 30)))
    assert result.data["counts"]["denied_no_appeal"] == 1


def test_preauthorization_pending_in_any_case(tmp_path):
    rows = [
        draft("CL-1", D(2026, 6, 20), Preauth_Status="PENDING"),
        claim("CL-2", Preauth_Status=" requested "),
        claim("CL-3", Preauth_Status="Approved"),
    ]
    found = worklist(tmp_path, rows, D(2026, 6, 30))
    assert found["CL-1"]["action"] == "file by 2026-09-18; preauthorization pending"
    assert found["CL-2"]["action"] == "preauthorization pending" and found["CL-3"]["action"] == "nothing due"
    counts = claims(load(tmp_path / "claims.xlsx", D(2026, 6, 30))).data["counts"]
    assert counts == {"due_soon": 0, "past": 0, "denied_no_appeal": 0, "preauth_pending": 2}


def test_claims_days_ahead_from_settings(tmp_path):
    rows = [draft("CL-1", D(2026, 1, 31))]  # file by 2026-05-01
    assert not worklist(tmp_path, rows, D(2026, 4, 1))["CL-1"]["due_soon"]
    wide = worklist(tmp_path, rows, D(2026, 4, 1), settings={"Claims Days Ahead": 30})
    assert wide["CL-1"]["due_soon"] and wide["CL-1"]["days_left"] == 30


def test_order_past_first_then_due_soon_by_date_then_the_rest(tmp_path):
    rows = [
        claim("CL-paid", Status="Paid", Allowed=100.0, Insurance_Paid=100.0, Patient_Responsibility=0),
        draft("CL-soon-late", D(2026, 4, 10)),  # file by 2026-07-09
        claim("CL-follow", Submitted_Date=D(2026, 5, 1)),
        draft("CL-past-2", D(2026, 3, 30)),  # passed 2026-06-28
        draft("CL-soon-early", D(2026, 4, 2)),  # file by 2026-07-01
        draft("CL-past-1", D(2026, 3, 1)),  # passed 2026-05-30
        draft("CL-later", D(2026, 6, 1)),  # file by 2026-08-30
    ]
    found = list(worklist(tmp_path, rows, D(2026, 6, 30)))
    assert found == ["CL-past-1", "CL-past-2", "CL-soon-early", "CL-soon-late", "CL-later", "CL-follow", "CL-paid"]


def test_denial_codes_carry_the_practices_own_words_or_stand_bare(tmp_path):
    rows = [claim("CL-1", Status="Denied", Denial_Date=D(2026, 6, 1), Denial_Codes="co-16; CO-50, N14")]
    [c] = worklist(tmp_path, rows, D(2026, 6, 30)).values()
    assert c["denial_codes"] == [
        {"code": "co-16", "meaning": "Claim lacks information", "action": "Add the missing data and resubmit"},
        {"code": "CO-50", "meaning": "Not medically necessary", "action": "Appeal with the chart notes"},  # by "50"
        {"code": "N14", "meaning": None, "action": None},
    ]


# --- the command ----------------------------------------------------------------------------------------------


def practice(tmp_path, **book):
    rows = [
        draft("CL-1", D(2026, 3, 1), Patient_Account="P2", Member_ID=MEMBER_IDS[1]),
        claim("CL-2", Status="Denied", Denial_Date=D(2026, 5, 15), Denial_Codes="CO-16; N14", Patient_Account="P3",
              Member_ID=MEMBER_IDS[2]),
        claim("CL-3", Payer="Medicare", Payer_Type="Medicare", Submitted_Date=D(2026, 5, 1)),
        draft("CL-4", D(2026, 6, 20), Preauth_Status="Requested"),
        claim("CL-5", Status="Paid", Allowed=150.0, Insurance_Paid=120.0, Patient_Responsibility=30.0),
    ]  # fmt: skip
    return claims_book(tmp_path / "practice.xlsx", rows, **book)


def test_the_json_is_the_commands_records_and_has_every_key(tmp_path, capsys):
    path = practice(tmp_path)
    result = claims(load(path, D(2026, 6, 30)))
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("findings") == []
    assert printed == json.loads(json.dumps(result.data, default=str))
    assert printed["counts"] == {"due_soon": 1, "past": 1, "denied_no_appeal": 1, "preauth_pending": 1}
    keys = {"claim_id", "patient_account", "payer", "status", "filing_deadline", "appeal_deadline", "days_left",
            "due_soon", "past", "action", "denial_codes"}  # fmt: skip
    assert all(keys <= set(c) for c in printed["claims"])
    first = printed["claims"][0]
    assert (first["claim_id"], first["action"], first["cell"]) == (
        "CL-1",
        "filing deadline passed on 2026-05-30",
        "Claims!A2",
    )


def test_write_puts_the_worklist_sheet_and_an_audit_row_in_the_book(tmp_path, capsys):
    path = practice(tmp_path)
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--write"]) == 0
    out = capsys.readouterr().out
    wb = openpyxl.load_workbook(path)
    ws = wb["ClaimsWorklist"]
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    assert header[:6] == ("Claim ID", "Patient Account", "Payer", "Status", "Date of Service", "Filing Deadline")
    rows = [dict(zip(header, r)) for r in values[1:]]
    assert [r["Claim ID"] for r in rows] == ["CL-1", "CL-2", "CL-4", "CL-3", "CL-5"]
    one = rows[0]
    assert one["Filing Deadline"] == dt.datetime(2026, 5, 30) and one["Days Left"] == -31  # a real date cell
    assert one["Urgency"] == "Past deadline" and one["Action"] == "filing deadline passed on 2026-05-30"
    assert rows[1]["Appeal Deadline"] == dt.datetime(2026, 7, 14) and rows[1]["Urgency"] == "Due soon"
    assert rows[1]["Denial Codes"] == "CO-16: Claim lacks information (Add the missing data and resubmit); N14"
    assert ws["A2"].hyperlink.location == "'Claims'!A2" and ws["A3"].hyperlink.location == "'Claims'!A3"
    assert ws["F2"].number_format == "yyyy-mm-dd"
    audit = [r for r in wb["Audit"].iter_rows(values_only=True)][-1]
    assert audit[1] == "claims" and audit[2] == dt.datetime(2026, 6, 30)
    assert audit[6] == "5 claim(s): 1 past deadline, 1 due soon, 1 denied without appeal, 1 preauthorization pending"
    written = " ".join(
        str(v) for name in ("ClaimsWorklist", "Audit") for r in wb[name].iter_rows(values_only=True) for v in r
    )
    for secret in (*PATIENTS.values(), *MEMBER_IDS):
        assert secret not in out and secret not in written


def test_the_table_names_no_patient_and_no_member_number(tmp_path, capsys):
    path = practice(tmp_path)
    assert main(["claims", str(path), "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "Claims as of 2026-06-30 (due soon: within 14 days)" in out
    assert "CL-2" in out and "appeal by 2026-07-14" in out and "P3" in out
    assert "1 past deadline, 1 due soon, 1 denied without appeal, 1 preauthorization pending" in out
    for secret in (*PATIENTS.values(), *MEMBER_IDS):
        assert secret not in out


def test_a_numeric_claim_id_is_written_back_as_a_number_that_links_to_its_row(tmp_path):
    path = claims_book(tmp_path / "n.xlsx", [claim(24081), claim("CL-2")])
    result = claims(load(path, D(2026, 6, 30)))
    sheet = next(s for s in result.patch.sheets if s.name == "ClaimsWorklist")
    links = {r[0].shown: r[0] for r in sheet.rows}
    assert links["24081"].text == 24081 and links["24081"].location == "'Claims'!A2"
    assert links["CL-2"].text == "CL-2"


def test_a_book_without_a_claims_sheet_says_so_and_exits_1(tmp_path, capsys):
    path = practice(tmp_path)
    wb = openpyxl.load_workbook(path)
    del wb["Claims"]
    wb.save(path)
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["stopped"] is True and "claims" not in printed
    [f] = printed["findings"]
    assert (f["code"], f["sheet"]) == ("missing-sheet", "Claims")
    assert f["message"] == "No claims worklist: the workbook has no Claims sheet."
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--write"]) == 1
    out = capsys.readouterr().out
    assert "checked as of 2026-06-30: 1 error(s)" in out and "Claims (1)" in out and "No claims" in out
    assert "ClaimsWorklist" not in openpyxl.load_workbook(path).sheetnames


def test_a_claims_sheet_without_a_status_column_says_which_cell(tmp_path, capsys):
    path = practice(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Claims"]
    header = next(c for c in ws[1] if c.value == "Status")
    header.value = "Where"
    ws.tables["tblClaims"].tableColumns[header.column - 1].name = "Where"
    wb.save(path)
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--json"]) == 1
    [f] = json.loads(capsys.readouterr().out)["findings"]
    assert (f["code"], f["sheet"], f["cell"]) == ("missing-column", "Claims", "A1")
    assert f["message"] == "No claims worklist: Claims has no Status column."


def test_findings_on_the_claims_sheets_come_with_the_worklist_and_set_the_exit_status(tmp_path, capsys):
    rows = [claim("CL-1", Status="Denied", Denial_Date=D(2026, 6, 1))]  # no Denial Codes: an error
    path = claims_book(tmp_path / "b.xlsx", rows)
    assert main(["claims", str(path), "--as-of", "2026-06-30", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in printed["findings"]] == ["denial-without-codes"]
    assert [c["claim_id"] for c in printed["claims"]] == ["CL-1"]  # the deadline is shown all the same


# --- the Excel functions --------------------------------------------------------------------------------------


def test_the_claim_functions_equal_billing_claims(tmp_path, capsys):
    """CLAIM_STATUS, FILING_DEADLINE and APPEAL_DEADLINE as Excel would call them (up to the xlwings boundary:
    Excel itself cannot run here), against `billing claims --json` on the same file, as of its As-of Date."""
    from billing_addin.excel import udfs
    from billing_addin.excel.workbook_data import FileBookSource

    path = practice(tmp_path, settings={"As-of Date": D(2026, 6, 30)})
    assert main(["claims", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["as_of"] == "2026-06-30"
    source = FileBookSource(path)

    def shown(v):
        return v.date().isoformat() if isinstance(v, dt.datetime) else None

    for c in printed["claims"]:
        assert udfs.CLAIM_STATUS(c["claim_id"], caller=source) == c["status"]
        assert shown(udfs.FILING_DEADLINE(c["claim_id"], caller=source)) == c["filing_deadline"]
        assert shown(udfs.APPEAL_DEADLINE(c["claim_id"], caller=source)) == c["appeal_deadline"]
    assert udfs.APPEAL_DEADLINE("CL-1", caller=source) == "#N/A no appeal deadline: not denied"
    assert udfs.FILING_DEADLINE("cl-2", caller=source) == dt.datetime(2026, 8, 27)  # IDs ignore case
    assert udfs.CLAIM_STATUS("CL-9", caller=source) == "#N/A claim CL-9 is not on the Claims sheet"
    wb = openpyxl.load_workbook(path)
    del wb["Claims"]
    wb.save(path)
    assert udfs.CLAIM_STATUS("CL-1", caller=source) == "#N/A the workbook has no Claims sheet"
