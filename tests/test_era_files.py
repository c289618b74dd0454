"""X12 835 remittance files read exactly: the two real sample files in ../shared/remittance (made by other
projects; see their README) and files written here for what they lack (other delimiters, several transactions,
a reversal, provider-level adjustments). Billed = paid + adjustments on every claim; the payment = the claims'
payments less the provider-level adjustments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from billing_addin.bank.x12_835 import RemittanceFileError, parse_835, read_835

SHARED = Path(__file__).resolve().parents[2] / "shared" / "remittance"


@pytest.fixture(scope="module")
def shared() -> Path:
    if not (SHARED / "blue_cross_nc_sample.835").is_file():
        pytest.skip(
            f"the shared 835 samples are missing: looked in {SHARED} (../shared/remittance beside the repository)"
        )
    return SHARED


def test_a_paid_claim_with_contractual_and_patient_responsibility(shared):
    [r] = read_835(shared / "blue_cross_nc_sample.835")  # no ISA/GS envelope
    assert (r.trace_number, r.payer, r.payment_total, r.payment_method) == (
        "02790758",
        "BLUE CROSS AND BLUE SHIELD OF NORTH CAROLINA",
        1922_86,
        "CHK",
    )
    assert r.payment_date == dt.date(2011, 1, 8) and r.balances
    [c] = r.claims
    assert (c.claim_id, c.status_code, c.billed, c.paid, c.patient_responsibility) == (
        "200200964A52",
        "1",
        2100_00,
        1922_86,
        142_54,
    )
    assert c.member_id == "YPB123456789001" and c.service_date == dt.date(2010, 12, 31)
    assert [(a.group, a.code, a.amount) for a in c.all_adjustments] == [
        ("CO", "42", 34_60),
        ("PR", "2", 117_54),
        ("PR", "3", 25_00),
    ]
    assert c.adds_up and not c.denied
    assert sum(a.amount for a in c.all_adjustments if a.group == "PR") == c.patient_responsibility
    assert [ln.procedure for ln in c.lines] == ["HC:59430", "HC:59440", "HC:59426"]


def test_a_denied_claim_in_a_full_envelope(shared):
    [r] = read_835(shared / "pyx12_835_mult_loops.835")
    [c] = r.claims
    assert (c.claim_id, c.status_code, c.billed, c.paid) == ("2005555A", "4", 915_39, 0)
    assert c.denied and c.adds_up and r.balances and r.payment_total == 0
    assert {(a.group, a.code) for a in c.all_adjustments} == {("CO", "16"), ("OA", "A7")}
    assert [ln.date for ln in c.lines] == [dt.date(2003, 11, 29), dt.date(2003, 10, 30), dt.date(2003, 10, 31)]
    assert [ln.remarks for ln in c.lines] == [("N14",)] * 3 and c.all_remarks == ("N14",)  # LQ*HE, values only


OURS = (
    "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |261201|0900|^|00501|000000001|0|P|>\n"
    "GS|HP|SENDER|RECEIVER|20261201|0900|1|X|005010X221A1\n"
    "ST|835|0001\n"
    "BPR|I|300.00|C|ACH|CCP|01|999999999|DA|123456|1999999999||01|888888888|DA|654321|20261130\n"
    "TRN|1|TRACE-A|1999999999\n"
    "N1|PR|ACME HEALTH PLAN\n"
    "REF|2U|ACME01\n"
    "N1|PE|SAMPLE PRACTICE\n"
    "CLP|CLM-1|1|400.00|320.00|50.00|12|PAYER-1\n"
    "NM1|QC|1|DOE|JANE||||MI|M123\n"
    "DTM|232|20261101\n"
    "CAS|CO|45|30.00\n"
    "CAS|PR|1|50.00\n"
    "CLP|CLM-0|22|-100.00|-100.00||12|PAYER-0\n"
    "CAS|CO|45|0\n"
    "PLB|1999999999|20261231|WO>XYZ123|20.00|L6|-100.00\n"
    "SE|14|0001\n"
    "ST|835|0002\n"
    "BPR|H|0|C|NON\n"
    "TRN|1|TRACE-B\n"
    "N1|PR|ACME HEALTH PLAN\n"
    "CLP|CLM-2|4|80.00|0||12\n"
    "MOA|||MA130|N290\n"
    "CAS|CO|197|80.00\n"
    "SE|7|0002\n"
    "GE|2|1\n"
    "IEA|1|000000001\n"
)


def test_other_delimiters_several_transactions_a_reversal_and_provider_adjustments():
    first, second = parse_835(OURS, "ours.835")
    assert (first.trace_number, first.payer_id, first.payment_total, first.payment_date) == (
        "TRACE-A",
        "ACME01",
        300_00,
        dt.date(2026, 11, 30),
    )
    paid, reversed_ = first.claims
    assert paid.adds_up and paid.member_id == "M123" and paid.service_date == dt.date(2026, 11, 1)
    assert reversed_.reversal and reversed_.paid == -100_00
    assert [(p.reason, p.reference, p.amount) for p in first.provider_adjustments] == [
        ("WO", "XYZ123", 20_00),
        ("L6", None, -100_00),
    ]
    assert first.balances  # 320.00 - 100.00 - (20.00 - 100.00) = 300.00
    assert second.trace_number == "TRACE-B" and second.claims[0].denied and second.claims[0].adds_up
    assert second.claims[0].remarks == ("MA130", "N290")  # claim-level remark codes (MOA03, MOA04)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Date,Amount\n2026-01-01,5\n", "not an X12 835"),
        ("ST*837*1~BHT*0019~SE*2*1~", r"no ST\*835"),
        ("ST*835*1~BPR*I*1*C*CHK~CLP*X*1*abc*1~SE*3*1~", "'abc'"),
        ("ST*835*1~BPR*I*1*C*CHK~CLP*X*1*1*1~SE*3*1~", "no TRN trace number"),
        ("ST*835*1~TRN*1*T~CLP*X*1*1*1~", "cut short"),
    ],
)
def test_what_is_not_an_835_or_not_whole_is_refused_with_why(text, says):
    with pytest.raises(RemittanceFileError, match=says):
        parse_835(text, "bad.835")
