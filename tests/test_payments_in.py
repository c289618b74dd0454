"""Payments in: bank lines matched to customers and invoices with a why, never an auto match that is wrong, never a
line posted twice; then posted to the Payments table of a real workbook, payer names learnt."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_addin.commands.payments import import_payments, post_payments
from billing_addin.core.bank_lines import BankLine
from billing_addin.core.ledger import build_ledger
from billing_addin.core.matching import (
    AUTO,
    DEBIT,
    SKIPPED,
    SUGGESTED,
    UNMATCHED,
    Tolerance,
    match_lines,
    normalize_name,
)
from billing_addin.loader import check_book, load
from billing_addin.workbook.reader import book_from_rows, read_book
from billing_addin.workbook.template import build_template
from billing_addin.workbook.writer import apply_patch

AS_OF = dt.date(2026, 6, 30)
D = dt.date
CUSTOMERS = [["C1", "Harbor Dental Group"], ["C2", "Maple Street Clinic"], ["C3", "Orchard Family Practice"]]
INVOICES = [
    ["INV-24081", "C1", D(2026, 3, 1), D(2026, 3, 31), 1200.00],
    ["INV-24082", "C1", D(2026, 4, 1), D(2026, 5, 1), 300.00],
    ["INV-24083", "C1", D(2026, 5, 1), D(2026, 5, 31), 450.00],
    ["INV-24090", "C2", D(2026, 4, 10), D(2026, 5, 10), 980.50],
    ["INV-24091", "C2", D(2026, 5, 10), D(2026, 6, 10), 980.50],
    ["INV-24095", "C3", D(2026, 5, 20), D(2026, 6, 19), 75.00],
]


def book(aliases=(), payments=(), adjustments=()):
    rows = {
        "Customers": [["Customer ID", "Name"], *CUSTOMERS],
        "Invoices": [["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount"], *INVOICES],
        "Payments": [
            ["Payment ID", "Customer ID", "Payment Date", "Amount", "Applied To", "Bank Transaction ID"],
            *payments,
        ],
        "Adjustments": [["Adjustment ID", "Customer ID", "Invoice No", "Date", "Type", "Amount"], *adjustments],
        "PayerAliases": [["Payer", "Customer ID"], *aliases],
    }
    return book_from_rows(rows, {"Default Currency": "USD"})


PAID_ON = dt.date(2026, 6, 29)


def line(n, amount, reference="", payer="", account="", tid=None, day=PAID_ON):
    return BankLine(n, day, round(amount * 100), "USD", reference, payer, account, tid, source="bank.csv")


def match(lines, b=None, **kw):
    b = b or book()
    from billing_addin.commands.payments import customer_names, known_keys, payer_aliases, refund_rows

    return match_lines(
        lines,
        build_ledger(b, AS_OF),
        payer_aliases=payer_aliases(b),
        customer_names=customer_names(b),
        known_keys=known_keys(b, []),
        refunds=refund_rows(b),
        tolerance=kw.get("tolerance", Tolerance(10_00, 1.0)),
    )


def test_invoice_numbers_in_the_forms_people_type_them():
    for reference in ("INV-24081", "INV 24081", "inv#24081", "Payment for 24081 thanks", "inv24081"):
        [p] = match([line(1, 1200.00, reference)])
        assert (p.match, p.customer_id, p.invoices) == (AUTO, "C1", ("INV-24081",)), reference
        assert p.why == "INV-24081 named in the reference; amount equals its open balance"
    [p] = match([line(1, 1500.00, "INV 24081 + inv#24082")])
    assert (p.match, p.invoices) == (AUTO, ("INV-24081", "INV-24082"))
    assert "their open balances together" in p.why
    [p] = match([line(1, 1200.00, "paid 24081.00 on account")])  # an amount is not an invoice number
    assert p.match == SUGGESTED and p.why.startswith("no invoice named")


def test_short_partial_and_over_payments_of_a_named_invoice():
    [short] = match([line(1, 1195.00, "INV-24081")])
    assert short.match == AUTO and "5.00 USD short" in short.why and "within the tolerance" in short.why
    [part] = match([line(1, 500.00, "INV-24081")])
    assert part.match == AUTO and "a part payment: 500.00 USD of 1200.00 USD owed" in part.why
    [over] = match([line(1, 1300.00, "INV-24081")])
    assert over.match == SUGGESTED and "100.00 USD more than they owe" in over.why


def test_a_known_payer_without_an_invoice_number():
    aliases = [["HARBOR DENTAL GRP", "C1"]]
    [single] = match([line(1, 450.00, payer="Harbor Dental Grp")], book(aliases))
    assert (single.match, single.invoices) == (AUTO, ("INV-24083",)) and "is known as C1" in single.why
    [run] = match([line(1, 1500.00, payer="Harbor Dental Group")])  # the exact customer name: the oldest two
    assert (run.match, run.invoices) == (AUTO, ("INV-24081", "INV-24082")) and "oldest 2 invoices" in run.why
    [whole] = match([line(1, 1950.00, payer="Harbor Dental Group")])
    assert (whole.match, whole.invoices) == (AUTO, ("INV-24081", "INV-24082", "INV-24083"))
    [twins] = match([line(1, 980.50, payer="Maple Street Clinic")])  # two invoices of that balance: choose
    assert twins.match == SUGGESTED and {c.invoices for c in twins.candidates} == {("INV-24090",), ("INV-24091",)}
    [odd] = match([line(1, 100.00, payer="Maple Street Clinic")])
    assert odd.match == SUGGESTED and "a part payment, oldest first" in odd.why


def test_an_amount_alone_is_only_a_suggestion_and_nothing_is_unmatched():
    [p] = match([line(1, 75.00, payer="Someone Else")])
    assert p.match == SUGGESTED and p.customer_id == "C3" and "not known" in p.why
    [q] = match([line(1, 12.34, payer="Someone Else")])
    assert q.match == UNMATCHED
    [r] = match([line(1, 1200.00, "INV-24081", payer="Orchard Family Practice")])  # the payer disagrees
    assert r.match == SUGGESTED and "check before posting" in r.why


def test_never_twice_and_debits_listed():
    b = book(
        payments=[["P1", "C1", D(2026, 6, 1), 300.00, "INV-24082", "TX-9"]],
        adjustments=[["A1", "C3", None, D(2026, 6, 2), "Refund", 40.00]],
    )
    lines = [
        line(1, 450.00, "INV-24083", tid="TX-1"),
        line(2, 450.00, "INV-24083", tid="TX-1"),
        line(3, 300.00, "INV-24082", tid="TX-9"),
        line(4, -40.00, payer="Orchard Family Practice"),
    ]
    p = match(lines, b)
    assert [x.match for x in p] == [AUTO, SKIPPED, SKIPPED, DEBIT]
    assert "line 1 of this import" in p[1].why and "Payments!F2" in p[2].why and "Adjustments!F2" in p[3].why


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_an_auto_match_is_never_wrong(data):
    """Generated statements whose truth is known: each line pays whole invoices of one customer, sometimes naming
    them (in one of the forms people type), sometimes not; payers known by name, by alias, or not at all; typos."""
    n_customers = data.draw(st.integers(2, 5))
    customers = [[f"C{k}", f"Customer {k} Ltd"] for k in range(1, n_customers + 1)]
    invoices, k = [], 24000
    for cid, _ in customers:
        for _ in range(data.draw(st.integers(1, 6))):
            k += 1
            cents = data.draw(st.sampled_from([100_00, 250_00, 333_33, 980_50, 1200_00, 75_00]))
            invoices.append([f"INV-{k}", cid, D(2026, 3, 1) + dt.timedelta(days=k % 60), D(2026, 5, 1), cents / 100])
    rows = {
        "Customers": [["Customer ID", "Name"], *customers],
        "Invoices": [["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount"], *invoices],
    }
    b = book_from_rows(rows, {"Default Currency": "USD"})
    truth, lines = [], []
    for n in range(1, data.draw(st.integers(1, 6)) + 1):
        cid = data.draw(st.sampled_from(customers))[0]
        own = [i for i in invoices if i[1] == cid]
        paid = data.draw(st.lists(st.sampled_from(own), min_size=1, max_size=3, unique_by=lambda i: i[0]))
        cents = sum(round(i[4] * 100) for i in paid)
        named = data.draw(st.booleans())
        form = data.draw(st.sampled_from(["{}", "inv#{}", "INV {}", "payment {} thanks"]))
        reference = (
            " ".join(form.format(i[0].split("-")[1] if "#" in form or "payment" in form else i[0]) for i in paid)
            if named
            else "thank you"
        )
        payer = data.draw(st.sampled_from([f"Customer {cid[1:]} Ltd", "unknown payer", f"CUSTOMER {cid[1:]} LTD."]))
        truth.append((cid, {i[0] for i in paid}))
        lines.append(BankLine(n, D(2026, 6, 29), cents, "USD", reference, payer, source="gen"))
    for p, (cid, nos) in zip(match(lines, b), truth):
        if p.match == AUTO:
            assert p.customer_id == cid and set(p.invoices) == nos, (p.why, cid, nos)


# --- end to end on a real workbook ---------------------------------------------------------------------


def workbook(tmp_path):
    from billing_addin.core.schema import INPUT_SHEETS

    sheets = {
        "Customers": [["Customer ID", "Name"], *CUSTOMERS],
        "Invoices": [["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount"], *INVOICES],
        "Payments": [["Payment ID"]],
        "PayerAliases": [["Payer", "Customer ID"]],
    }
    data = {}
    for name, r in sheets.items():
        spec = next(s for s in INPUT_SHEETS if s.name == name)
        data[name] = [[dict(zip(r[0], row)).get(f.name) for f in spec.fields] for row in r[1:]]
    path = tmp_path / "book.xlsx"
    build_template(path, data, {"Company Name": "Billing Co", "As-of Date": AS_OF})
    return path


def test_import_write_post_and_never_again(tmp_path):
    path = workbook(tmp_path)
    lines = [
        line(1, 1200.00, "INV-24081", "Harbor Dental Group", "DE02120300000000202051", "TX-1"),
        line(2, 980.50, "", "M. Street Clinic", tid="TX-2"),  # suggested: two invoices of that balance, payer unknown
        line(3, 75.00, 'inv#24095 =HYPERLINK("http://x")', "Orchard Family Practice", tid="TX-3"),
    ]
    imported = import_payments(load(path, AS_OF), lines)
    assert [x["match"] for x in imported.data["lines"]] == [AUTO, SUGGESTED, AUTO]
    apply_patch(path, imported.patch)
    again = import_payments(load(path, AS_OF), lines)
    assert [x["match"] for x in again.data["lines"]] == [SKIPPED] * 3
    posted = post_payments(load(path, AS_OF))
    assert [p["invoices"] for p in posted.data["posted"]] == [["INV-24081"], ["INV-24095"]]
    apply_patch(path, posted.patch)
    book = read_book(path)
    pay = book.sheet("Payments")
    assert pay.columns["Applied To"] == ["INV-24081", "INV-24095"] and pay.columns["Bank Transaction ID"] == [
        "TX-1",
        "TX-3",
    ]
    assert sorted(book.sheet("PayerAliases").columns["Payer"]) == sorted(
        ["Harbor Dental Group", "DE02120300000000202051", "Orchard Family Practice"]
    )
    ledger = build_ledger(book, AS_OF)
    assert ledger.invoices["INV-24081"].outstanding == 0 and ledger.invoices["INV-24095"].outstanding == 0
    assert post_payments(load(path, AS_OF)).data["posted"] == []  # marked posted: nothing twice
    refs = book.sheet("Payments").columns["Reference"]
    assert refs[1].startswith("inv#24095 =HYPERLINK")  # the memo is text, never a formula
    assert import_payments(check_book(book, AS_OF), lines).counts[SKIPPED] == 3
    assert normalize_name("Harbor Dental Group") in {
        normalize_name(p) for p in book.sheet("PayerAliases").columns["Payer"]
    }


def test_billing_payments_import_and_post_from_real_bank_files(tmp_path, capsys):
    """The command line on a semicolon CSV with decimal commas (a German bank's export) and a camt.053 file: the
    lines land on the Bank Import sheet with their match and why, the approved ones go to Payments, and the same
    files imported again post nothing."""
    import json

    from billing_addin.cli.app import main

    path = workbook(tmp_path)
    csv_file = tmp_path / "umsaetze.csv"
    csv_file.write_text(
        "Buchungstag;Betrag;Währung;Verwendungszweck;Auftraggeber;Transaktions-ID\n"
        "29.06.2026;1.200,00;USD;RE INV-24081;Harbor Dental Group;T-100\n"
        "29.06.2026;-40,00;USD;Rueckbuchung;Orchard Family Practice;T-101\n",
        encoding="utf-8",
    )
    camt = tmp_path / "statement.xml"
    camt.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>1</Id>
<Ntry><Amt Ccy="USD">75.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-06-28</Dt></BookgDt>
<AcctSvcrRef>CAMT-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Orchard Family Practice</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>inv#24095</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""",
        encoding="utf-8",
    )
    args = ["payments", "import", str(path), str(csv_file), str(camt), "--as-of", str(AS_OF)]
    assert main([*args, "--json"]) == 0
    lines = json.loads(capsys.readouterr().out)["lines"]
    assert [(x["match"], x["customer_id"], x["invoices"], x["amount"]) for x in lines] == [
        (AUTO, "C1", ["INV-24081"], "1200.00"),
        (DEBIT, "C3", [], "-40.00"),
        (AUTO, "C3", ["INV-24095"], "75.00"),
    ]
    assert main([*args, "--write"]) == 0
    shown = capsys.readouterr().out
    assert "3 bank line(s) from umsaetze.csv (csv), statement.xml (camt.053): 2 auto, 1 debit" in shown
    assert main(["payments", "post", str(path), "--as-of", str(AS_OF), "--json"]) == 0
    posted = json.loads(capsys.readouterr().out)["posted"]
    assert [(p["customer_id"], p["invoices"]) for p in posted] == [("C1", ["INV-24081"]), ("C3", ["INV-24095"])]
    book = read_book(path)
    assert book.sheet("Payments").columns["Bank Transaction ID"] == ["T-100", "CAMT-1"]
    assert main([*args, "--json"]) == 0
    assert {x["match"] for x in json.loads(capsys.readouterr().out)["lines"]} == {SKIPPED}


def test_import_and_post_from_the_ribbon(tmp_path):
    """The two buttons up to the xlwings boundary (Excel's Open dialog and message boxes are the host's): the
    FileHost picks the file a clerk would pick in the dialog."""
    from billing_addin.excel.host import FileHost
    from billing_addin.excel.ribbon import dispatch

    path = workbook(tmp_path)
    bank = tmp_path / "bank.csv"
    bank.write_text(
        "Date,Amount,Currency,Reference,Counterparty,Transaction ID\n2026-06-29,450.00,USD,INV-24083,Harbor Dental Group,T-7\n",
        encoding="utf-8",
    )
    host = FileHost(path, files=[bank])
    dispatch("payments_import", host)
    assert "1 bank line(s): 1 auto" in host.messages[-1] and "Bank Import" in host.messages[-1]
    dispatch("payments_post", host)
    assert host.messages[-1].startswith("1 bank line(s) posted as 1 payment row(s)")
    assert read_book(path).sheet("Payments").columns["Applied To"] == ["INV-24083"]
    dispatch("payments_post", host)
    assert host.messages[-1].startswith("No payments were posted: nothing marked Post = Yes")
    nothing = FileHost(path, files=[])
    dispatch("payments_import", nothing)  # the dialog cancelled: nothing happens
    assert nothing.messages == []
