"""Claim deadlines: filing (date of service + the payer's days, Medicare one calendar year) and appeal (denial
date + the payer's window, Medicare 120 days), around month ends and leap years."""

import datetime as dt

import pytest

from billing_addin.core.claims import (
    Claim,
    PayerTerms,
    add_months,
    appeal_deadline,
    code_meaning,
    filing_deadline,
    split_codes,
)

D = dt.date


def claim(**kw) -> Claim:
    base = dict(
        claim_id="C1",
        patient_account="P1",
        payer="Acme Health",
        payer_type="Commercial",
        member_id="M1",
        date_of_service=D(2024, 1, 31),
        procedure_codes=None,
        billed=10000,
        allowed=None,
        insurance_paid=None,
        patient_responsibility=None,
        status="Submitted",
        submitted=None,
        denial_date=None,
        denial_codes=(),
        preauth_number=None,
        preauth_status=None,
        appeal_date=None,
        row=2,
    )
    base.update(kw)
    return Claim(**base)


def payer(filing=None, appeal=None) -> PayerTerms:
    return PayerTerms("Acme Health", None, filing, appeal, None, 2)


@pytest.mark.parametrize(
    ("dos", "expected"),
    [
        (D(2024, 2, 29), D(2025, 2, 28)),  # a leap day: the next year has none, the month's last day
        (D(2023, 2, 28), D(2024, 2, 28)),
        (D(2024, 1, 31), D(2025, 1, 31)),
        (D(2024, 12, 31), D(2025, 12, 31)),
    ],
)
def test_medicare_filing_is_one_calendar_year(dos, expected):
    d = filing_deadline(claim(payer_type="Medicare", date_of_service=dos), None)
    assert d.date == expected and "Medicare" in d.basis


def test_payer_days_count_across_a_leap_day():
    d = filing_deadline(claim(date_of_service=D(2024, 1, 31)), payer(filing=90))
    assert d.date == D(2024, 4, 30)  # 29 Feb counts
    assert filing_deadline(claim(date_of_service=D(2023, 1, 31)), payer(filing=90)).date == D(2023, 5, 1)


def test_payer_days_win_over_the_medicare_default():
    d = filing_deadline(claim(payer_type="Medicare", date_of_service=D(2024, 3, 1)), payer(filing=365))
    assert d.date == D(2025, 3, 1)


def test_no_days_no_guess():
    d = filing_deadline(claim(), payer())
    assert d.date is None and "Timely Filing Days" in d.basis
    assert filing_deadline(claim(date_of_service=None), payer(90)).date is None


def test_appeal_windows():
    denied = claim(status="Denied", denial_date=D(2024, 11, 1))
    assert appeal_deadline(denied, payer(appeal=60)).date == D(2024, 12, 31)
    medicare = claim(status="Denied", denial_date=D(2023, 11, 1), payer_type="Medicare")
    assert appeal_deadline(medicare, None).date == D(2024, 2, 29)  # 120 days, through a leap day
    assert appeal_deadline(claim(status="Denied"), payer(appeal=60)).basis == "no Denial Date"
    assert appeal_deadline(claim(), payer(appeal=60)).date is None


def test_add_months_keeps_month_ends():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)
    assert add_months(D(2024, 11, 30), 3) == D(2025, 2, 28)


def test_codes_and_their_meanings():
    assert split_codes("CO-16; N14,  PR-1") == ("CO-16", "N14", "PR-1")
    meanings = {"16": ("Missing information", "Resubmit"), "N14": ("Our words", None)}
    assert code_meaning("CO-16", meanings) == ("Missing information", "Resubmit")
    assert code_meaning("n14", meanings) == ("Our words", None)
    assert code_meaning("CO-97", meanings) == (None, None)  # not on DenialCodes: the bare code, no error
