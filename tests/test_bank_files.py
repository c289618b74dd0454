"""Bank and processor files read into BankLines (billing_addin.bank): real files of each format written by hand as
the banks and processors write them, the hostile ones, and the refusals a clerk sees."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_addin.bank import BankFileError, Statement, detect, read_statement
from billing_addin.bank.values import Amounts, BadValue, Pending, exact_cents
from billing_addin.core.bank_lines import BankLine

D = dt.date


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def summary(s: Statement) -> list[tuple]:
    return [(x.date, x.amount, x.currency, x.reference, x.payer, x.account, x.transaction_id, x.fee) for x in s.lines]


# CSV from banks -------------------------------------------------------------------------------------------------

GERMAN_CSV = (
    "Kontonummer;DE89370400440532013000\n"
    "Zeitraum;01.03.2025 - 31.03.2025\n"
    "\n"
    "Buchungstag;Valuta;Auftraggeber / Begünstigter;Verwendungszweck;Kontonummer/IBAN;Betrag;Währung;Saldo\n"
    "03.03.2025;03.03.2025;ACME GmbH;Rechnung INV-1001;DE44500105175407324931;1.234,56;EUR;5.000,00\n"
    "04.03.2025;05.03.2025;Hausbank;Kontoführung;;-12,50;EUR;4.987,50\n"
    '05.03.2025;05.03.2025;"Müller; Söhne";"RE 2025-17, RE 2025-18";DE02120300000000202051;"10.000,00";EUR;14.987,50\n'
    "06.03.2025;06.03.2025;Kunde;Teilzahlung;;0,99;EUR;14.988,49\n"
)


def test_decimal_comma_semicolon_csv_in_windows_1252_with_lines_before_the_header(tmp_path):
    s = read_statement(write(tmp_path, "umsaetze.csv", GERMAN_CSV, "cp1252"))
    assert s.format == "csv" and s.currency == "EUR"
    assert s.ignored_columns == ("Saldo",)  # shown to the clerk, not dropped unsaid
    assert summary(s) == [
        (D(2025, 3, 3), 123456, "EUR", "Rechnung INV-1001", "ACME GmbH", "DE44500105175407324931", None, 0),
        (D(2025, 3, 4), -1250, "EUR", "Kontoführung", "Hausbank", "", None, 0),
        (D(2025, 3, 5), 1000000, "EUR", "RE 2025-17, RE 2025-18", "Müller; Söhne", "DE02120300000000202051", None, 0),
        (D(2025, 3, 6), 99, "EUR", "Teilzahlung", "Kunde", "", None, 0),
    ]
    assert [x.line for x in s.lines] == [5, 6, 7, 8]  # the file's own line numbers
    assert {x.source for x in s.lines} == {"umsaetze.csv"}


def test_the_same_file_in_utf8_with_a_bom_and_in_utf16_reads_the_same(tmp_path):
    expected = summary(read_statement(write(tmp_path, "a.csv", GERMAN_CSV, "cp1252")))
    assert summary(read_statement(write(tmp_path, "b.csv", GERMAN_CSV, "utf-8-sig"))) == expected
    assert summary(read_statement(write(tmp_path, "c.csv", GERMAN_CSV, "utf-16"))) == expected
    tabbed = GERMAN_CSV.replace(";", "\t").replace('"Müller\t Söhne"', "Müller; Söhne")
    assert summary(read_statement(write(tmp_path, "d.txt", tabbed))) == expected


def test_a_windows_1252_byte_far_into_a_file_read_as_utf8_rereads_it_as_1252(tmp_path):
    rows = b"".join(b"2025-03-01,1.00,INV-%d\r\n" % i for i in range(20_000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"Date,Amount,Memo\r\n" + rows + b"2025-03-02,2.00,Caf\xe9 \x80 5\r\n")  # past the sample
    s = read_statement(path)
    assert len(s.lines) == 20_001 and s.lines[-1].reference == "Café € 5" and s.lines[-1].line == 20_002


UK_CSV = """Date,Type,Description,Paid In,Paid Out,Balance
13/03/2025,BGC,ACME LTD INV-2001,"£1,250.00",,"2,250.00"
03/04/2025,DD,BRITISH GAS,,£85.40,"2,164.60"
04/04/2025,FPI,J SMITH INV 2002 INV 2003,£300.00,,"2,464.60"
05/04/2025,CHG,CHARGES,,(5.00),"2,459.60"
"""


def test_credit_and_debit_columns_with_day_month_order_settled_by_the_column(tmp_path):
    s = read_statement(write(tmp_path, "statement.csv", UK_CSV))
    # 13/03/2025 can only be day first: so 03/04/2025 is 3 April, as the workbook reads a column of text dates
    assert [x.date for x in s.lines] == [D(2025, 3, 13), D(2025, 4, 3), D(2025, 4, 4), D(2025, 4, 5)]
    assert [x.amount for x in s.lines] == [125000, -8540, 30000, -500]
    assert [x.currency for x in s.lines] == ["GBP", "GBP", "GBP", None]  # £ written with the amount
    assert s.lines[2].reference == "J SMITH INV 2002 INV 2003"
    assert s.ignored_columns == ("Type", "Balance")


def test_month_first_dates_and_dates_the_column_settles_only_at_its_end(tmp_path):
    text = "Date,Amount,Memo\n03/04/2025,10.00,a\n03/05/2025,20.00,b\n03/31/2025,30.00,c\n"
    s = read_statement(write(tmp_path, "us.csv", text))
    assert [x.date for x in s.lines] == [D(2025, 3, 4), D(2025, 3, 5), D(2025, 3, 31)]
    assert [x.line for x in s.lines] == [2, 3, 4]  # the rows read again at the end keep their place


def test_amount_forms_of_a_single_amount_column(tmp_path):
    text = (
        "Transaction Date,Amount,Currency,Details,Transaction ID\n"
        "2025-03-01,1250.00,usd,a,T1\n"
        "2025-03-02,(12.50),USD,b,T2\n"
        "2025-03-03,12.50-,USD,c,T3\n"
        '2025-03-04,"$1,250.00",USD,d,T4\n'
        "2025-03-05,-0.05,USD,e,T5\n"
        "2025-03-06,+7,USD,f,T6\n"
        "2025-03-07 13:45:00,USD 40.10,,g,T7\n"
    )
    s = read_statement(write(tmp_path, "amounts.csv", text))
    assert [x.amount for x in s.lines] == [125000, -1250, -1250, 125000, -5, 700, 4010]
    assert [x.currency for x in s.lines] == ["USD"] * 7  # lower case read as the code; the code beside 40.10
    assert [x.transaction_id for x in s.lines] == [f"T{i}" for i in range(1, 8)]
    assert s.lines[-1].date == D(2025, 3, 7)


def test_unusual_headers_read_through_a_profile(tmp_path):
    text = (
        "Tag der Buchung|Gegenseite|Zweck 1|Zweck 2|Umsatz in EUR|Kennung\n"
        "03/04/2025|ACME GmbH|INV-3001|Danke|1.500,00|B-1\n"
        "04/04/2025|Stadtwerke|Abschlag||200,00-|B-2\n"
    )
    path = write(tmp_path, "odd.csv", text)
    with pytest.raises(BankFileError) as e:
        read_statement(path)  # without the profile: no column this reader knows
    assert "has no date column" in str(e.value) and "'Tag der Buchung'" in str(e.value)
    profile = {
        "Date": "Tag der Buchung",
        "Amount": "Umsatz in EUR",
        "Payer": "Gegenseite",
        "Reference": "Zweck 1 | Zweck 2",
        "Transaction ID": "Kennung",
        "Date Order": "DMY",
    }
    s = read_statement(path, profile)
    assert summary(s) == [
        (D(2025, 4, 3), 150000, "EUR", "INV-3001 | Danke", "ACME GmbH", "", "B-1", 0),
        (D(2025, 4, 4), -20000, "EUR", "Abschlag", "Stadtwerke", "", "B-2", 0),
    ]
    assert s.ignored_columns == ()


def test_a_profile_naming_credit_and_debit_columns_leaves_the_amount_column_unread(tmp_path):
    text = "Datum;Betrag;Gutschrift;Lastschrift;Text\n01.03.2025;999,99;100,00;;INV-1\n02.03.2025;999,99;;25,00;Miete\n"
    s = read_statement(str(write(tmp_path, "p.csv", text)), {"credit": "Gutschrift", "debit": "Lastschrift"})
    assert [x.amount for x in s.lines] == [10000, -2500] and [x.reference for x in s.lines] == ["INV-1", "Miete"]
    assert s.ignored_columns == ("Betrag",)


def test_a_credit_debit_indicator_column_and_a_currency_in_the_amount_header(tmp_path):
    text = (
        "Buchungstag;Wertstellung;Umsatz (EUR);Soll/Haben;Verwendungszweck\n"
        "03.03.2025;03.03.2025;1.250,00;H;INV-1001\n"
        "04.03.2025;;12,50;S;Gebühr\n"
    )
    s = read_statement(write(tmp_path, "sh.csv", text))
    assert [(x.amount, x.currency) for x in s.lines] == [(125000, "EUR"), (-1250, "EUR")]
    assert s.ignored_columns == ()
    with pytest.raises(BankFileError, match="'X' is neither credit nor debit"):
        read_statement(write(tmp_path, "sh2.csv", text.replace(";S;", ";X;")))


def test_a_profile_naming_a_header_the_file_lacks_says_which(tmp_path):
    path = write(tmp_path, "odd.csv", "Datum;Betrag\n01.03.2025;1,00\n")
    with pytest.raises(BankFileError) as e:
        read_statement(path, {"date": "Datum", "amount": "Summe"})
    assert "'Summe'" in str(e.value) and "'Datum', 'Betrag'" in str(e.value) and "ImportProfiles" in str(e.value)
    with pytest.raises(BankFileError, match="no field or option"):
        read_statement(path, {"Datum": "Datum"})
    with pytest.raises(BankFileError, match="date_order"):
        read_statement(path, {"date_order": "sometimes"})
    us = write(tmp_path, "us.csv", "Date,Amount\n03/04/2025,1.00\n03/31/2025,2.00\n")
    with pytest.raises(BankFileError) as e:
        read_statement(us, {"date_order": "DMY"})
    assert (e.value.line, e.value.column) == (3, "Date")
    assert "'03/31/2025' is not a real date read as day/month/year (the file's profile)" in str(e.value)
    assert [x.date for x in read_statement(us, {"date_order": "MDY"}).lines] == [D(2025, 3, 4), D(2025, 3, 31)]


def test_a_csv_without_a_date_column_is_refused_naming_its_headers_and_the_names_accepted(tmp_path):
    path = write(tmp_path, "nodate.csv", "Description,Amount,Reference\nACME,100.00,INV-1\n")
    with pytest.raises(BankFileError) as e:
        read_statement(path)
    msg = str(e.value)
    assert msg.startswith(
        "nodate.csv, line 1: has no date column: the headers are 'Description', 'Amount', 'Reference'"
    )
    assert "Booking Date, Date, Transaction Date" in msg and "Value Date" in msg and "ImportProfiles" in msg
    assert isinstance(e.value, ValueError) and e.value.line == 1


def test_refusals_name_the_line_and_the_column(tmp_path):
    def refused(text: str) -> BankFileError:
        with pytest.raises(BankFileError) as e:
            read_statement(write(tmp_path, "x.csv", text))
        return e.value

    e = refused("Date,Amount\n2025-03-01,10.00\n2025-03-02,ten\n")
    assert (e.line, e.column) == (3, "Amount") and "'ten' is not an amount" in str(e)
    e = refused("Date,Amount\n2025-03-01,10.00\n2025-02-30,1.00\n")
    assert (e.line, e.column) == (3, "Date") and "not a real calendar date" in str(e)
    e = refused("Date,Amount\n03/04/2025,10.00\n04/03/2025,1.00\n")  # nothing settles the order
    assert e.line == 2 and "could be month/day/year (2025-03-04) or day/month/year (2025-04-03)" in str(e)
    assert "date_order" in e.fix
    e = refused("Date,Amount\n13/03/2025,10.00\n03/13/2025,1.00\n")
    assert "mix day/month orders" in str(e)
    e = refused('Date,Amount\n2025-03-01,"1,50"\n2025-03-02,2.50\n')
    assert "mix a decimal point" in str(e) and "decimal" in e.fix
    e = refused('Date,Amount\n2025-03-01,"1,234"\n')  # thousands or three decimals: nothing tells
    assert "could be thousands or three decimals" in str(e)
    e = refused("Date,Amount\n2025-03-01,10.0051\n")
    assert "more than two decimals" in str(e)
    e = refused("Date,Amount\n,10.00\n")
    assert "has an amount but no date" in str(e) and e.line == 2
    e = refused("Date,Credit,Debit\n2025-03-01,5.00,6.00\n")
    assert "both a credit and a debit" in str(e)


def test_the_decimal_mark_is_settled_by_the_file_and_by_the_profile(tmp_path):
    text = 'Date,Amount\n2025-03-01,"1,234"\n2025-03-02,"1,234.50"\n'
    assert [x.amount for x in read_statement(write(tmp_path, "a.csv", text)).lines] == [123400, 123450]
    text = "Datum;Betrag\n2025-03-01;1.234\n2025-03-02;1,5\n"
    assert [x.amount for x in read_statement(write(tmp_path, "b.csv", text)).lines] == [123400, 150]
    text = "Datum;Betrag\n2025-03-01;1.234\n"
    assert read_statement(write(tmp_path, "c.csv", text), {"decimal": ","}).lines[0].amount == 123400
    with pytest.raises(BankFileError, match="'1.234' has more than two decimals"):
        read_statement(write(tmp_path, "c.csv", text), {"decimal": "."})


def test_total_rows_and_rows_without_figures_are_named_in_the_notes(tmp_path):
    text = "Date,Description,Amount\n2025-03-01,A,1.00\nClosing balance,,100.00\n,Page 2,\n"
    s = read_statement(write(tmp_path, "t.csv", text))
    assert len(s.lines) == 1
    assert s.notes == (
        "1 row not read (a total or balance row without a date): line 3",
        "1 row not read (no date and no amount): line 4",
    )


def test_formula_looking_text_stays_plain_text(tmp_path):
    memos = ['=HYPERLINK("http://evil.example","INV-1")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
    rows = "".join(f'2025-03-0{i + 1},1.00,"{m.replace(chr(34), chr(34) * 2)}",{m[:1]}x\n' for i, m in enumerate(memos))
    s = read_statement(write(tmp_path, "f.csv", "Date,Amount,Memo,Name\n" + rows))
    assert [x.reference for x in s.lines] == memos  # not stripped of its sign, not evaluated
    assert [x.payer for x in s.lines] == ["=x", "+x", "-x", "@x"]


# Processor exports ----------------------------------------------------------------------------------------------

STRIPE_CSV = """id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description,Customer Email,Status
txn_1QxA,charge,ch_1QxA,1250.00,36.55,1213.45,usd,2025-03-03 14:02,2025-03-05 00:00,Invoice INV-1001,ap@acme.example,Available
txn_1QxB,charge,ch_1QxB,99.00,3.17,95.83,usd,2025-03-04 09:15,2025-03-06 00:00,INV-1002 INV-1003,bob@example.com,Available
txn_1QxC,refund,re_1QxC,-50.00,0.00,-50.00,usd,2025-03-05 10:00,2025-03-05 10:00,REFUND FOR CHARGE (INV-0990),,Available
txn_1QxD,charge,ch_1QxD,20.00,0.88,19.12,usd,2025-03-05 11:00,2025-03-07 00:00,INV-1004,c@example.com,Failed
txn_1QxE,payout,po_1QxE,-1258.28,0.00,-1258.28,usd,2025-03-07 00:00,2025-03-07 00:00,STRIPE PAYOUT,,Paid
"""


def test_stripe_balance_export_gross_with_the_fee_kept(tmp_path):
    s = read_statement(write(tmp_path, "balance_history.csv", STRIPE_CSV))
    assert s.format == "stripe" and s.currency == "USD"
    assert summary(s) == [
        (D(2025, 3, 3), 125000, "USD", "Invoice INV-1001", "ap@acme.example", "", "txn_1QxA", 3655),
        (D(2025, 3, 4), 9900, "USD", "INV-1002 INV-1003", "bob@example.com", "", "txn_1QxB", 317),
        (D(2025, 3, 5), -5000, "USD", "REFUND FOR CHARGE (INV-0990)", "", "", "txn_1QxC", 0),
        (D(2025, 3, 7), -125828, "USD", "STRIPE PAYOUT", "", "", "txn_1QxE", 0),
    ]
    assert s.notes == ("1 row not read (status Failed): line 5",)
    assert s.ignored_columns == ("Type", "Source")


def test_stripe_itemised_payout_report_and_a_net_that_does_not_agree(tmp_path):
    text = (
        "balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,"
        "description,customer_name,customer_email,invoice_number\n"
        "txn_9,2025-03-10 08:00:00,2025-03-12 00:00:00,eur,500.00,7.50,492.50,charge,Subscription,ACME GmbH,"
        "ap@acme.example,INV-2040\n"
    )
    s = read_statement(write(tmp_path, "payout_reconciliation.csv", text))
    assert s.format == "stripe"
    assert summary(s) == [(D(2025, 3, 10), 50000, "EUR", "Subscription | INV-2040", "ACME GmbH", "", "txn_9", 750)]
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "bad.csv", text.replace("492.50", "493.50")))
    assert "the gross 500.00 less the fee 7.50 is not the net 493.50" in str(e.value) and e.value.line == 2


PAYPAL_CSV = (
    '\ufeff"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address",'
    '"To Email Address","Transaction ID","Item Title","Reference Txn ID","Invoice Number","Subject","Note",'
    '"Balance","Balance Impact"\n'
    '"03/14/2025","10:02:11","PDT","ACME Inc","Website Payment","Completed","USD","1,250.00","-36.55",'
    '"1,213.45","ap@acme.example","billing@us.example","8AB12345CD6789012","Consulting","","INV-1001","",'
    '"Thanks","1,213.45","Credit"\n'
    '"03/04/2025","11:00:00","PDT","Bob Jones","General Payment","Completed","USD","99.00","-3.17","95.83",'
    '"bob@example.com","billing@us.example","1XY23456AB7890123","","","","INV-1002 and INV-1003","","1,309.28",'
    '"Credit"\n'
    '"03/05/2025","12:00:00","PDT","Carol","General Authorization","Pending","USD","40.00","0.00","40.00",'
    '"carol@example.com","billing@us.example","2ZZ","","","","","","1,309.28","Memo"\n'
    '"03/06/2025","09:00:00","PDT","","General Withdrawal","Completed","USD","-1,000.00","0.00","-1,000.00",'
    '"","","3WD","","","","","","309.28","Debit"\n'
)


def test_paypal_activity_export_with_fees_written_negative(tmp_path):
    s = read_statement(write(tmp_path, "Download.CSV", PAYPAL_CSV))
    assert s.format == "paypal"
    assert summary(s) == [
        (D(2025, 3, 14), 125000, "USD", "Consulting | INV-1001 | Thanks", "ACME Inc", "ap@acme.example",
         "8AB12345CD6789012", 3655),
        (D(2025, 3, 4), 9900, "USD", "INV-1002 and INV-1003", "Bob Jones", "bob@example.com", "1XY23456AB7890123", 317),
        (D(2025, 3, 6), -100000, "USD", "", "", "", "3WD", 0),
    ]  # fmt: skip
    assert s.notes == ("1 row not read (status Pending): line 4",)
    assert "Balance" in s.ignored_columns and "Reference Txn ID" in s.ignored_columns


SQUARE_CSV = (
    "Date,Time,Time Zone,Gross Sales,Discounts,Service Charges,Net Sales,Gift Card Sales,Tax,Tip,Partial Refunds,"
    "Total Collected,Source,Card,Card Entry Methods,Cash,Square Gift Card,Other Tender,Other Tender Type,"
    "Other Tender Note,Fees,Net Total,Transaction ID,Payment ID,Card Brand,PAN Suffix,Device Name,Staff Name,"
    "Staff ID,Details,Description,Event Type,Location,Dining Option,Customer ID,Customer Name,Customer Reference ID\n"
    "2025-03-03,13:45:01,Eastern Time (US & Canada),$100.00,$0.00,$0.00,$100.00,$0.00,$8.00,$0.00,$0.00,$108.00,"
    "Square Invoices,$108.00,Keyed,$0.00,$0.00,$0.00,,,-$3.43,$104.57,tx111,pay111,Visa,4242,,,,"
    "https://squareup.com/dashboard/sales/transactions/tx111,Invoice #000123,Payment,Main St,,CUST1,ACME LLC,INV-123\n"
    "2025-03-04,09:00:00,Eastern Time (US & Canada),$20.00,$0.00,$0.00,$20.00,$0.00,$0.00,$0.00,$0.00,$20.00,"
    "Point of Sale,$0.00,,$20.00,$0.00,$0.00,,,$0.00,$20.00,tx222,pay222,,,,,,,Walk-in,Payment,Main St,,,,\n"
    "2025-03-05,10:00:00,Eastern Time (US & Canada),($50.00),$0.00,$0.00,($50.00),$0.00,$0.00,$0.00,$0.00,($50.00),"
    "Square Invoices,($50.00),,$0.00,$0.00,$0.00,,,$1.45,($48.55),tx333,,,,,,,,Refund of INV-99,Refund,Main St,,"
    "CUST2,Bob,\n"
)


def test_square_transactions_export_total_collected_and_fees(tmp_path):
    s = read_statement(write(tmp_path, "transactions-2025-03.csv", SQUARE_CSV))
    assert s.format == "square" and s.currency is None  # Square writes no currency column
    assert summary(s) == [
        (D(2025, 3, 3), 10800, None, "Invoice #000123 | INV-123", "ACME LLC", "CUST1", "tx111", 343),
        (D(2025, 3, 4), 2000, None, "Walk-in", "", "", "tx222", 0),
        (D(2025, 3, 5), -5000, None, "Refund of INV-99", "Bob", "CUST2", "tx333", -145),  # the fee given back
    ]
    assert "Details" in s.ignored_columns and "Gross Sales" in s.ignored_columns


# OFX ------------------------------------------------------------------------------------------------------------

OFX_SGML = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20250401120000<LANGUAGE>ENG</SONRS>
</SIGNONMSGSRSV1>
<BANKMSGSRSV1>
<STMTTRNRS>
<TRNUID>1
<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS>
<CURDEF>USD
<BANKACCTFROM>
<BANKID>121000248
<ACCTID>4111222233
<ACCTTYPE>CHECKING
</BANKACCTFROM>
<BANKTRANLIST>
<DTSTART>20250301
<DTEND>20250331
<STMTTRN>
<TRNTYPE>CREDIT
<DTPOSTED>20250303120000.000[-5:EST]
<TRNAMT>1250.00
<FITID>202503031
<NAME>ACME &amp; SONS LLC
<MEMO>INV-1001 INV-1002
</STMTTRN>
<STMTTRN>
<TRNTYPE>CHECK
<DTPOSTED>20250304
<TRNAMT>-85.40
<FITID>202503042
<CHECKNUM>1043
<PAYEE><NAME>CITY WATER<ADDR1>1 Main St<CITY>Springfield<STATE>IL<POSTALCODE>62701</PAYEE>
</STMTTRN>
<STMTTRN>
<TRNTYPE>DEP
<DTPOSTED>20250305
<TRNAMT>+99.5
<FITID>202503053
<NAME>Café Olé
<MEMO>
<REFNUM>RF-77
<CURRENCY><CURRATE>1.08<CURSYM>EUR</CURRENCY>
</STMTTRN>
</BANKTRANLIST>
<LEDGERBAL><BALAMT>5000.00<DTASOF>20250331</LEDGERBAL>
</STMTRS>
</STMTTRNRS>
</BANKMSGSRSV1>
</OFX>
"""


def test_ofx_sgml_with_unclosed_elements(tmp_path):
    s = read_statement(write(tmp_path, "export.qfx", OFX_SGML.replace("Café Olé", "Caf\xe9 Ol\xe9"), "cp1252"))
    assert s.format == "ofx" and s.currency == "USD" and s.account == "4111222233"
    assert summary(s) == [
        (D(2025, 3, 3), 125000, "USD", "INV-1001 INV-1002", "ACME & SONS LLC", "", "202503031", 0),
        (D(2025, 3, 4), -8540, "USD", "1043", "CITY WATER", "", "202503042", 0),
        (D(2025, 3, 5), 9950, "EUR", "RF-77", "Café Olé", "", "202503053", 0),
    ]
    assert [x.line for x in s.lines] == [1, 2, 3]


OFX_XML = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
  <DTSERVER>20250401</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>
  <CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>2</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <CCSTMTRS>
      <CURDEF>CAD</CURDEF>
      <CCACCTFROM><ACCTID>5500000000000004</ACCTID></CCACCTFROM>
      <BANKTRANLIST>
        <DTSTART>20250301</DTSTART><DTEND>20250331</DTEND>
        <STMTTRN>
          <TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20250310</DTPOSTED><TRNAMT>400.00</TRNAMT>
          <FITID>CC-1</FITID><NAME>Payment - Thank you</NAME><MEMO>INV-4001</MEMO>
        </STMTTRN>
        <STMTTRN>
          <TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20250311</DTPOSTED><TRNAMT>-19.99</TRNAMT>
          <FITID>CC-2</FITID><NAME>Software &lt;Pro&gt;</NAME>
        </STMTTRN>
      </BANKTRANLIST>
    </CCSTMTRS>
  </CCSTMTTRNRS></CREDITCARDMSGSRSV1>
</OFX>
"""


def test_ofx_xml_flavour(tmp_path):
    s = read_statement(write(tmp_path, "card.ofx", OFX_XML))
    assert s.format == "ofx" and s.currency == "CAD" and s.account == "5500000000000004"
    assert summary(s) == [
        (D(2025, 3, 10), 40000, "CAD", "INV-4001", "Payment - Thank you", "", "CC-1", 0),
        (D(2025, 3, 11), -1999, "CAD", "", "Software <Pro>", "", "CC-2", 0),
    ]


def test_ofx_with_a_bad_amount_names_the_line_and_the_transaction(tmp_path):
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "bad.ofx", OFX_SGML.replace("<TRNAMT>-85.40", "<TRNAMT>-85.4O")))
    assert e.value.line == 39 and "transaction 2 (FITID 202503042): TRNAMT '-85.4O' is not an amount" in str(e.value)


# camt -----------------------------------------------------------------------------------------------------------

CAMT053 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-2025-03</MsgId><CreDtTm>2025-04-01T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2025-03-01</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <NtryRef>1</NtryRef>
        <Amt Ccy="EUR">1750.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2025-03-03</Dt></BookgDt>
        <ValDt><Dt>2025-03-04</Dt></ValDt>
        <AcctSvcrRef>2025030300012</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-ACME-77</EndToEndId></Refs>
          <RltdPties>
            <Dbtr><Nm>ACME GmbH</Nm></Dbtr>
            <DbtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></DbtrAcct>
          </RltdPties>
          <RmtInf><Ustrd>Rechnungen INV-1001 und INV-1002</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <NtryRef>2</NtryRef>
        <Amt Ccy="EUR">12.50</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2025-03-04T10:15:00+01:00</DtTm></BookgDt>
        <ValDt><Dt>2025-03-04</Dt></ValDt>
        <AcctSvcrRef>2025030400007</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties>
            <Cdtr><Nm>Stadtwerke</Nm></Cdtr>
            <CdtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></CdtrAcct>
          </RltdPties>
          <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA-Lastschrift</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">300.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2025-03-05</Dt></BookgDt>
        <AcctSvcrRef>BATCH-9</AcctSvcrRef>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><AcctSvcrRef>BATCH-9-1</AcctSvcrRef></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">100.00</Amt></TxAmt></AmtDtls>
            <RltdPties><Dbtr><Nm>Anna</Nm></Dbtr></RltdPties>
            <RmtInf><Ustrd>INV-3001</Ustrd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><AcctSvcrRef>BATCH-9-2</AcctSvcrRef></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">200.00</Amt></TxAmt></AmtDtls>
            <RltdPties><Dbtr><Nm>Ben</Nm></Dbtr></RltdPties>
            <RmtInf><Ustrd>INV-3002</Ustrd><Ustrd>second line</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BookgDt><Dt>2025-03-31</Dt></BookgDt>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_camt053_entries_remittance_parties_and_a_batch_split_into_its_transactions(tmp_path):
    s = read_statement(write(tmp_path, "statement.xml", CAMT053))
    assert s.format == "camt.053" and s.currency == "EUR" and s.account == "DE89370400440532013000"
    assert summary(s) == [
        (D(2025, 3, 3), 175000, "EUR", "Rechnungen INV-1001 und INV-1002 | E2E-ACME-77", "ACME GmbH",
         "DE44500105175407324931", "2025030300012", 0),
        (D(2025, 3, 4), -1250, "EUR", "RF18539007547034", "Stadtwerke", "DE02120300000000202051", "2025030400007", 0),
        (D(2025, 3, 5), 10000, "EUR", "INV-3001", "Anna", "", "BATCH-9-1", 0),
        (D(2025, 3, 5), 20000, "EUR", "INV-3002 second line", "Ben", "", "BATCH-9-2", 0),
    ]  # fmt: skip
    assert [x.line for x in s.lines] == [1, 2, 3, 4]
    assert s.notes == ("1 entry not read (status PDNG, not booked): line 66",)


CAMT054 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>N-1</MsgId><CreDtTm>2025-03-06T08:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N-1-1</Id>
      <Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>
      <Ntry>
        <Amt Ccy="CHF">2500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-03-06</Dt></BookgDt>
        <ValDt><Dt>2025-03-06</Dt></ValDt>
        <AcctSvcrRef>CH-REF-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-1</EndToEndId></Refs>
          <Amt Ccy="CHF">2500.00</Amt>
          <CdtDbtInd>CRDT</CdtDbtInd>
          <RltdPties>
            <Dbtr><Pty><Nm>Muster AG</Nm></Pty></Dbtr>
            <DbtrAcct><Id><IBAN>CH5604835012345678009</IBAN></Id></DbtrAcct>
          </RltdPties>
          <RmtInf><Strd><RfrdDocInf><Nb>INV-5001</Nb></RfrdDocInf>
            <CdtrRefInf><Ref>210000000003139471430009017</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CHF">80.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <ValDt><Dt>2025-03-07</Dt></ValDt>
        <NtryRef>N2</NtryRef>
        <NtryDtls><TxDtls>
          <RltdPties><UltmtDbtr><Pty><Nm>Ultimate Payer</Nm></Pty></UltmtDbtr></RltdPties>
          <RmtInf><Ustrd>INV-5002, INV-5003</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_camt054_notification_entries(tmp_path):
    s = read_statement(write(tmp_path, "notification.txt", CAMT054))  # found by its content, not its name
    assert s.format == "camt.054" and s.currency == "CHF" and s.account == "CH9300762011623852957"
    assert summary(s) == [
        (D(2025, 3, 6), 250000, "CHF", "210000000003139471430009017 | INV-5001 | E2E-1", "Muster AG",
         "CH5604835012345678009", "CH-REF-1", 0),
        (D(2025, 3, 7), 8000, "CHF", "INV-5002, INV-5003", "Ultimate Payer", "", "N2", 0),
    ]  # fmt: skip


def test_camt_with_a_bad_amount_names_its_line(tmp_path):
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "s.xml", CAMT053.replace('<Amt Ccy="EUR">12.50', '<Amt Ccy="EUR">12,5x')))
    assert e.value.line == 28 and "'12,5x' is not an amount" in str(e.value)


# MT940 ----------------------------------------------------------------------------------------------------------

MT940 = """{1:F01DEUTDEFFAXXX0000000000}{2:O9401200250401DEUTDEFFAXXX00000000002504011200N}{4:
:20:STARTUMSE
:25:10020030/1234567890
:28C:00031/001
:60F:C250228EUR1000,00
:61:2503030303CR1750,00NTRFNONREF//BANKREF-1
:86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-ACME-77?21SVWZ+Rechnungen INV-1001 un
?22d INV-1002?30COBADEFFXXX?31DE44500105175407324931?32ACME GmbH
:61:250304D12,50NDDTKREF-9//BANKREF-2
:86:105?00SEPA-LASTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+Abschlag Maerz?32STADTWERKE
:61:2503050305RD100,NTRFNONREF
:86:Rueckbuchung Lastschrift INV-0999
:62F:C250305EUR2837,50
-}
{1:F01DEUTDEFFAXXX0000000000}{2:O9401200250401DEUTDEFFAXXX00000000002504011200N}{4:
:20:STARTUMSE
:25:10020030/1234567890
:28C:00032/001
:60F:C250305EUR2837,50
:61:250306C300,00NMSCNONREF//BANKREF-3
:86:/EREF/INV-3001//CNTP/NL91ABNA0417164300/ABNANL2A/J Doe/Amsterdam///REMI/USTD//INV-3001 and INV-3002/
:62F:C250306EUR3137,50
-}
"""


def test_mt940_statement_lines_with_their_details(tmp_path):
    s = read_statement(write(tmp_path, "MT940.sta", MT940))
    assert s.format == "mt940" and s.currency == "EUR" and s.account == "10020030/1234567890"
    assert summary(s) == [
        (D(2025, 3, 3), 175000, "EUR", "Rechnungen INV-1001 und INV-1002 | E2E-ACME-77", "ACME GmbH",
         "DE44500105175407324931", "BANKREF-1", 0),
        (D(2025, 3, 4), -1250, "EUR", "Abschlag Maerz | KREF-9", "STADTWERKE", "", "BANKREF-2", 0),
        (D(2025, 3, 5), 10000, "EUR", "Rueckbuchung Lastschrift INV-0999", "", "", None, 0),
        (D(2025, 3, 6), 30000, "EUR", "INV-3001 and INV-3002 | INV-3001", "J Doe", "NL91ABNA0417164300",
         "BANKREF-3", 0),
    ]  # fmt: skip
    assert [x.line for x in s.lines] == [1, 2, 3, 4]


def test_mt940_with_an_unreadable_statement_line_names_it(tmp_path):
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "x.sta", MT940.replace(":61:250304D12,50", ":61:25030XD12,50")))
    assert e.value.line == 9 and ":61:25030XD12,50" in str(e.value)


# Hostile and wrong files ----------------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-03-01</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>&lol9;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>
"""


def test_a_billion_laughs_camt_is_refused_unread(tmp_path):
    started = time.perf_counter()
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "camt053.xml", BILLION_LAUGHS))
    assert time.perf_counter() - started < 2
    assert "declares a DTD or XML entities" in str(e.value) and e.value.line == 2
    ofx = '<?xml version="1.0"?>\n<!DOCTYPE OFX [<!ENTITY a "aaaa">]>\n<OFX>&a;</OFX>\n'
    with pytest.raises(BankFileError, match="declares a DTD or XML entities"):
        read_statement(write(tmp_path, "x.ofx", ofx))


def test_an_external_entity_is_refused_and_no_file_is_read(tmp_path):
    secret = write(tmp_path, "secret.txt", "TOP SECRET")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x>&x;</x></Document>\n'
    )
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "xxe.xml", xxe))
    assert "TOP SECRET" not in str(e.value)


def test_broken_xml_names_its_line(tmp_path):
    with pytest.raises(BankFileError) as e:
        read_statement(write(tmp_path, "cut.xml", CAMT053[:2000]))
    assert "is not well-formed XML" in str(e.value) and e.value.line is not None
    with pytest.raises(BankFileError, match="neither a camt.053/camt.054 statement nor OFX"):
        read_statement(write(tmp_path, "other.xml", "<?xml version='1.0'?><invoice/>"))


def test_files_that_are_no_statement_say_what_they_are(tmp_path):
    cases = {
        "book.csv": (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "is an Excel workbook"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel workbook"),
        "statement.pdf": (b"%PDF-1.7\n", "is a PDF"),
        "empty.csv": (b"", "is empty"),
        "nul.csv": (b"Date,Amount\n2025-03-01,1\x00\n", "binary data"),
        "one-line.csv": (b'"' + b"x" * 300_000, "is not a CSV: its first rows cannot be read"),
    }
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(BankFileError, match=words):
            read_statement(tmp_path / name)
    with pytest.raises(BankFileError, match="no such file"):
        read_statement(tmp_path / "missing.csv")


def test_the_format_is_found_from_the_content():
    assert detect(OFX_SGML.encode()) == "ofx" and detect(OFX_XML.encode()) == "ofx"
    assert detect(b"<OFX>\n<SIGNONMSGSRSV1>") == "ofx"
    assert detect(CAMT053.encode()) == "xml" and detect(MT940.encode()) == "mt940"
    assert detect(b":20:REF\r\n:25:123\r\n:60F:C250101EUR0,00\r\n") == "mt940"
    assert detect(GERMAN_CSV.encode("utf-16")) == "csv" and detect(UK_CSV.encode()) == "csv"


def _fat_csv(path: Path, rows: int) -> int:
    """A CSV whose bulk is in a column that is not read: what a reader holding the file would hold."""
    pad = "x" * 900
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("Date,Amount,Description,Bank Internal Data\n")
        for i in range(rows):
            f.write(f"2025-03-{i % 28 + 1:02d},{i % 5000}.{i % 100:02d},INV-{i},{pad}\n")
    return path.stat().st_size


def test_a_20mb_csv_is_streamed_not_held(tmp_path):
    path = tmp_path / "big.csv"
    size = _fat_csv(path, 21_000)
    assert size > 19_000_000
    tracemalloc.start()
    try:
        s = read_statement(path)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(s.lines) == 21_000 and s.lines[-1].reference == "INV-20999" and s.lines[-1].amount == 99999
    assert s.ignored_columns == ("Bank Internal Data",)
    # What the read needed beyond what it returns: a few buffers, never the file (20 MB).
    assert peak - current < 3_000_000, (peak, current)


@pytest.mark.slow
def test_a_200mb_csv_reads_in_seconds_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.csv"
    size = _fat_csv(path, 210_000)
    assert size > 190_000_000
    script = (
        "import resource, sys, time\n"
        "from billing_addin.bank import read_statement\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t = time.perf_counter()\n"
        "s = read_statement(sys.argv[1])\n"
        "t = time.perf_counter() - t\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(s.lines), round(t, 1), (after - before) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    lines, seconds, grown_mb = out.stdout.split()
    assert int(lines) == 210_000
    assert float(seconds) < 30, seconds
    assert int(grown_mb) < 150, grown_mb  # the lines it returns (~70 MB), not the 200 MB file


# The value readers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents", "code"),
    [
        ("1.234,56", 123456, None),
        ("1 234,56 €", 123456, "EUR"),
        ("1'234.50", 123450, None),
        ("(12.50)", -1250, None),
        ("12.50-", -1250, None),
        ("-$0.59", -59, None),
        ("$1,250.00", 125000, None),
        ("EUR 40", 4000, "EUR"),
        ("12,50 CR", 1250, None),
        ("12,50 DR", -1250, None),
        ("\u22125.00", -500, None),
        ("0,125", None, None),
        (".50", 50, None),
        ("12.5", 1250, None),
        ("1.234.567", 123456700, None),
    ],
)
def test_amount_texts(text, cents, code):
    amounts = Amounts()
    if cents is None:
        with pytest.raises(BadValue, match="more than two decimals"):
            amounts.read(text, 1)
        return
    assert amounts.read(text, 1) == (cents, code)


def test_amounts_that_are_not_amounts():
    for text in ("ten", "1e5", "12/03/2025", "1,2,3.4.5", "--5", "(-5)", "EUR 5 USD", "=1+1", "1,23,456.00"):
        with pytest.raises(BadValue):
            Amounts().read(text, 1)
    amounts = Amounts()
    with pytest.raises(Pending):
        amounts.read("1,234", 1)
    amounts.read("2,50", 2)  # a decimal comma: 1.234 is a thousand and more, 1,234 three decimals
    assert amounts.read("1.234", 3) == (123400, None)
    with pytest.raises(BadValue, match="more than two decimals"):
        amounts.read("1,234", 4)


def test_exact_cents_of_xml_and_ofx_amounts():
    assert [exact_cents(t) for t in ("1250.00", "-12.5", "+7", "1250,00", ".50", "0")] == [
        125000,
        -1250,
        700,
        125000,
        50,
        0,
    ]
    for bad in ("12.345", "1,250.00", "", "abc"):
        with pytest.raises(BadValue):
            exact_cents(bad)


def test_bank_lines_are_the_core_type():
    assert BankLine.__module__ == "billing_addin.core.bank_lines"


SAMPLES = {
    "de.csv": GERMAN_CSV,
    "uk.csv": UK_CSV,
    "stripe.csv": STRIPE_CSV,
    "paypal.csv": PAYPAL_CSV,
    "square.csv": SQUARE_CSV,
    "sgml.ofx": OFX_SGML,
    "xml.ofx": OFX_XML,
    "camt053.xml": CAMT053,
    "camt054.xml": CAMT054,
    "mt940.sta": MT940,
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=6)), max_size=4),
)
def test_damaged_files_are_read_or_refused_with_a_bank_file_error(tmp_path, name, cuts):
    # Bytes deleted, replaced or added anywhere: the reader returns lines or a BankFileError, nothing else.
    data = bytearray(SAMPLES[name].encode("utf-8"))
    for at, length, new in cuts:
        at %= len(data) + 1
        data[at : at + length] = new
    path = tmp_path / name
    path.write_bytes(bytes(data))
    try:
        s = read_statement(path)
    except BankFileError as e:
        assert str(e).startswith(name)
    else:
        assert all(isinstance(x.amount, int) and isinstance(x.date, dt.date) for x in s.lines)
