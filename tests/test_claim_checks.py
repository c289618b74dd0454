"""Validation of the Claims sheet on real .xlsx files: each check names the exact cell and the claim, never the
patient's name or member number."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from claim_books import MEMBER_IDS, PATIENTS, PAYERS_ROWS, claim, claims_book
from conftest import letter

from billing_addin.cli.app import main
from billing_addin.core.checks import CHECKS, run_checks
from billing_addin.core.claim_checks import check_claims
from billing_addin.core.findings import ERROR, WARNING
from billing_addin.workbook.reader import read_book

AS_OF = dt.date(2026, 6, 30)


def cell(field: str, row: int) -> str:
    return f"{letter('Claims', field)}{row}"


def found(path, code=None):
    findings = [f for f in run_checks(read_book(path), AS_OF) if f.sheet == "Claims" or f.code.startswith("claim")]
    return [f for f in findings if code is None or f.code == code]


def where(findings):
    return [(f.severity, f.sheet, f.cell) for f in findings]


def test_the_check_is_registered_and_a_clean_claims_sheet_has_no_findings(tmp_path):
    assert check_claims in CHECKS
    path = claims_book(
        tmp_path / "b.xlsx",
        [
            claim("CL-1"),
            claim("CL-2", Status="Paid", Allowed=120.00, Insurance_Paid=100.00, Patient_Responsibility=20.00),
            claim("CL-3", Status="Denied", Denial_Date=dt.date(2026, 6, 10), Denial_Codes="CO-16"),
            claim("CL-4", Payer_Type="Self", Member_ID=None, Payer="Acme Health"),
            claim("CL-5", Status="Draft", Date_of_Service=None),
        ],
    )
    assert run_checks(read_book(path), AS_OF) == []


def test_missing_member_id_is_a_warning_unless_the_patient_pays_themselves(tmp_path):
    path = claims_book(
        tmp_path / "b.xlsx",
        [claim("CL-1", Member_ID=None), claim("CL-2", Member_ID=None, Payer_Type="Self")],
    )
    [f] = found(path, "claim-missing-member-id")
    assert where([f]) == [(WARNING, "Claims", cell("Member ID", 2))]
    assert f.message == "Claim CL-1 has no Member ID."


def test_missing_date_of_service_is_an_error_unless_the_claim_is_a_draft(tmp_path):
    path = claims_book(
        tmp_path / "b.xlsx",
        [
            claim("CL-1", Status="Draft", Date_of_Service=None),
            claim("CL-2", Date_of_Service=None),
            claim("CL-3", Status=None, Date_of_Service=None),
        ],
    )
    findings = found(path, "claim-missing-date-of-service")
    assert where(findings) == [
        (ERROR, "Claims", cell("Date of Service", 3)),
        (ERROR, "Claims", cell("Date of Service", 4)),
    ]
    assert findings[0].message == "Claim CL-2 has no Date of Service (Status Submitted)."


def test_insurance_paid_more_than_allowed_is_an_error(tmp_path):
    path = claims_book(
        tmp_path / "b.xlsx",
        [claim("CL-1", Status="Paid", Allowed=100.00, Insurance_Paid=120.00, Patient_Responsibility=0)],
    )
    [f] = found(path, "claim-paid-over-allowed")
    assert where([f]) == [(ERROR, "Claims", cell("Insurance Paid", 2))]
    assert f.message == "Claim CL-1: Insurance Paid 120.00 is more than Allowed 100.00."
    assert found(path, "claim-patient-responsibility") == []  # one mistake, one finding


def test_patient_responsibility_that_does_not_add_up_is_a_warning_with_the_figures(tmp_path):
    path = claims_book(
        tmp_path / "b.xlsx",
        [
            claim("CL-1", Status="Paid", Allowed=150.00, Insurance_Paid=120.00, Patient_Responsibility=25.00),
            claim("CL-2", Status="Paid", Allowed=150.00, Insurance_Paid=120.00),  # not all three known
        ],
    )
    [f] = found(path, "claim-patient-responsibility")
    assert where([f]) == [(WARNING, "Claims", cell("Patient Responsibility", 2))]
    assert f.message == (
        "Claim CL-1: Patient Responsibility 25.00 is not Allowed 150.00 less Insurance Paid 120.00 (= 30.00)."
    )


def test_a_denial_without_codes_is_an_error_and_without_a_date_a_warning(tmp_path):
    path = claims_book(
        tmp_path / "b.xlsx",
        [
            claim("CL-1", Status="Denied", Denial_Date=dt.date(2026, 6, 2)),
            claim("CL-2", Status="Denied", Denial_Codes="CO-16"),
        ],
    )
    [codes] = found(path, "denial-without-codes")
    assert where([codes]) == [(ERROR, "Claims", cell("Denial Codes", 2))]
    assert codes.message == "Claim CL-1 is Denied without its Denial Codes."
    [date] = found(path, "denial-without-date")
    assert where([date]) == [(WARNING, "Claims", cell("Denial Date", 3))]


def test_a_patient_account_not_on_customers_is_one_error_not_two(tmp_path):
    path = claims_book(tmp_path / "b.xlsx", [claim("CL-1"), claim("CL-2", Patient_Account="P404")])
    findings = [f for f in run_checks(read_book(path), AS_OF) if f.severity == ERROR]
    assert [(f.code, f.sheet, f.cell) for f in findings] == [
        ("claim-unknown-patient", "Claims", cell("Patient Account", 3))
    ]
    assert findings[0].message == "Claim CL-2: Patient Account P404 is not on the Customers sheet."


def test_a_payer_not_on_payers_is_a_warning_only_when_there_is_a_payers_sheet(tmp_path):
    claims = [claim("CL-1"), claim("CL-2", Payer="Unheard Of Insurance"), claim("CL-3", Payer="acme health")]
    path = claims_book(tmp_path / "b.xlsx", claims)
    [f] = found(path, "claim-unknown-payer")
    assert where([f]) == [(WARNING, "Claims", cell("Payer", 3))]
    assert f.message == "Claim CL-2: payer Unheard Of Insurance is not on the Payers sheet."
    wb = openpyxl.load_workbook(path)
    del wb["Payers"]
    wb.save(path)
    assert found(path, "claim-unknown-payer") == []


def test_no_message_names_a_patient_or_a_member_number(tmp_path, capsys):
    claims = [
        claim("CL-1", Member_ID=None, Patient_Account="P2"),
        claim("CL-2", Member_ID=MEMBER_IDS[1], Patient_Account="P2", Date_of_Service=None),
        claim("CL-3", Member_ID=MEMBER_IDS[2], Status="Denied", Allowed=10.0, Insurance_Paid=20.0),
        claim("CL-4", Member_ID=MEMBER_IDS[0], Patient_Account="P3", Payer="Nobody", Allowed=10.0,
              Insurance_Paid=5.0, Patient_Responsibility=1.0),
    ]  # fmt: skip
    path = claims_book(tmp_path / "b.xlsx", claims, payers=PAYERS_ROWS)
    assert main(["validate", str(path), "--as-of", str(AS_OF), "--json", "--write"]) == 1
    out = capsys.readouterr().out
    codes = {f["code"] for f in json.loads(out)}
    assert {
        "claim-missing-member-id",
        "claim-missing-date-of-service",
        "claim-paid-over-allowed",
        "denial-without-codes",
        "denial-without-date",
        "claim-unknown-payer",
        "claim-patient-responsibility",
    } <= codes
    assert main(["validate", str(path), "--as-of", str(AS_OF)]) == 1
    out += capsys.readouterr().out
    wb = openpyxl.load_workbook(path)
    written = " ".join(
        str(v) for name in ("Findings", "Audit") for r in wb[name].iter_rows(values_only=True) for v in r
    )
    for secret in (*PATIENTS.values(), *MEMBER_IDS):
        assert secret not in out and secret not in written
