"""What a CSV's columns are called: the header aliases of each field, the processor exports (Stripe, PayPal, Square)
recognised by their headers, and the import profile a clerk keeps for a bank whose headers are unusual."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from billing_addin.bank.statement import BankFileError
from billing_addin.core.cell_values import DMY, MDY


def norm(text: object) -> str:
    """A header reduced for matching: case, accents, spaces and punctuation ignored; '#' reads as 'no'
    ('Währung' and 'Wahrung', 'Invoice #' and 'invoice no' are the same header)."""
    s = unicodedata.normalize("NFKD", str(text or "")).casefold().replace("#", "no").replace("№", "no")
    return "".join(c for c in s if c.isalnum() and not unicodedata.combining(c))


# field -> the header texts that mean it, best first. A field may take several columns when it is a text field that
# is joined (reference, description); the others take the first alias found.
GENERIC: dict[str, tuple[str, ...]] = {
    "date": (
        "Booking Date", "Date", "Transaction Date", "Posting Date", "Posted Date", "Date Posted", "Entry Date",
        "Book Date", "Completed Date", "Date Completed", "Trans Date", "Txn Date", "Created", "Created Date",
        "Buchungstag", "Buchungsdatum", "Datum", "Date Operation", "Date d'opération", "Fecha", "Fecha Operación",
        "Data", "Data Operazione", "Data Contabile", "Boekdatum", "Bokföringsdag", "Bokført dato",
    ),
    "value_date": (
        "Value Date", "Valuedate", "Valuta", "Valutadatum", "Wertstellung", "Date de valeur", "Fecha Valor",
        "Data Valuta", "Rentedatum", "Settlement Date", "Cleared Date",
    ),
    "amount": (
        "Amount", "Transaction Amount", "Amt", "Betrag", "Umsatz", "Montant", "Importe", "Bedrag", "Importo",
        "Kwota", "Belopp", "Beløb", "Beløp",
    ),
    "credit": (
        "Credit", "Credits", "Credit Amount", "Paid In", "Money In", "Deposit", "Deposits", "Deposit Amount", "In",
        "Haben", "Eingang", "Crédit", "Abono", "Haber", "Avere", "Entrate",
    ),
    "debit": (
        "Debit", "Debits", "Debit Amount", "Paid Out", "Money Out", "Withdrawal", "Withdrawals", "Withdrawal Amount",
        "Out", "Soll", "Ausgang", "Débit", "Cargo", "Debe", "Dare", "Uscite",
    ),
    "sign": (
        "Credit/Debit", "Debit/Credit", "CR/DR", "DR/CR", "D/C", "C/D", "Credit Debit Indicator", "Soll/Haben",
        "S/H", "Af Bij",
    ),
    "fee": ("Fee", "Fees", "Fee Amount", "Processing Fee", "Gebühr", "Gebühren"),
    "net": ("Net", "Net Amount", "Net Total"),
    "currency": ("Currency", "Ccy", "Curr", "Currency Code", "Währung", "Waehrung", "Devise", "Moneda", "Munt", "Divisa"),
    "reference": (
        "Reference", "Ref", "Payment Reference", "Customer Reference", "Your Reference", "End To End Reference",
        "End-to-End ID", "EndToEndId", "Remittance Information", "Remittance Info", "Invoice", "Invoice No",
        "Invoice Number", "Referenz", "Kundenreferenz", "Référence", "Referencia", "Betalingskenmerk",
    ),
    "description": (
        "Description", "Memo", "Details", "Narrative", "Transaction Details", "Transaction Description",
        "Payment Details", "Particulars", "Purpose", "Text", "Verwendungszweck", "Vorgang/Verwendungszweck",
        "Libellé", "Concepto", "Omschrijving", "Mededelingen", "Causale", "Descrizione", "Notes", "Note",
    ),
    "payer": (
        "Counterparty", "Counter Party", "Counterparty Name", "Payer", "Payer Name", "Name", "Beneficiary",
        "Beneficiary Name", "Payee", "Payee Name", "Remitter", "Sender", "From", "Originator", "Ordering Party",
        "Customer", "Customer Name", "Auftraggeber", "Begünstigter / Zahlungspflichtiger",
        "Beguenstigter/Zahlungspflichtiger", "Auftraggeber / Begünstigter", "Auftraggeber/Empfänger",
        "Zahlungspflichtiger", "Name Zahlungsbeteiligter", "Empfänger", "Bénéficiaire", "Tiers", "Naam",
        "Naam tegenpartij", "Naam / Omschrijving", "Ordenante",
    ),
    "account": (
        "Counterparty Account", "Counterparty IBAN", "Payer Account", "Payer IBAN", "From Account",
        "Sender Account", "Beneficiary Account", "Payee Account", "IBAN Zahlungsbeteiligter", "IBAN Auftraggeber",
        "Kontonummer/IBAN", "Tegenrekening", "Tegenrekening IBAN/BBAN", "Account", "Account Number", "IBAN",
        "Kontonummer",
    ),
    "transaction_id": (
        "Transaction ID", "ID", "Bank Reference", "Bank Ref", "Transaction Reference", "Transaction Ref",
        "Transaction Number", "Reference Number", "FITID", "Transaktions-ID",
    ),
    "status": ("Status", "State", "Transaction Status"),
}  # fmt: skip

JOINED = frozenset({"reference", "description"})  # text fields that take every column found, joined
AMOUNT_FIELDS = ("amount", "credit", "debit", "fee", "net")
FIELDS = tuple(GENERIC) + ("balance_impact",)


@dataclass(frozen=True)
class Processor:
    """A payment processor's export: how its headers say it is one, what its columns are called, and how its
    fee is written (Stripe writes the fee kept as a positive number, PayPal and Square as a deduction)."""

    name: str
    aliases: dict[str, tuple[str, ...]]
    signature: tuple[frozenset[str], ...]  # any one of these sets of headers (normalised) marks the export
    fee_written_negative: bool
    first_filled: frozenset[str] = field(default_factory=frozenset)  # fields read from the first filled column

    def matches(self, headers: set[str]) -> bool:
        return any(s <= headers for s in self.signature)


STRIPE = Processor(
    "stripe",
    {
        "date": ("Created (UTC)", "created_utc", "Created date (UTC)", "Created"),
        "value_date": ("Available On (UTC)", "available_on_utc"),
        "amount": ("Amount", "gross"),
        "fee": ("Fee",),
        "net": ("Net",),
        "currency": ("Currency",),
        "reference": ("Description", "Invoice Number", "invoice_number", "Invoice ID", "invoice_id"),
        "payer": ("Customer Name", "customer_name", "Customer Description", "customer_description",
                  "Customer Email", "customer_email"),
        "account": ("Customer ID", "customer_id"),
        "transaction_id": ("id", "balance_transaction_id"),
        "status": ("Status",),
    },
    (frozenset({"id", "createdutc"}), frozenset({"balancetransactionid", "createdutc"})),
    fee_written_negative=False,
    first_filled=frozenset({"payer"}),
)  # fmt: skip
PAYPAL = Processor(
    "paypal",
    {
        "date": ("Date",),
        "amount": ("Gross",),
        "fee": ("Fee",),
        "net": ("Net",),
        "currency": ("Currency",),
        "reference": ("Invoice Number", "Item Title", "Subject", "Note", "Custom Number"),
        "payer": ("Name",),
        "account": ("From Email Address",),
        "transaction_id": ("Transaction ID",),
        "status": ("Status",),
        "balance_impact": ("Balance Impact",),
    },
    (frozenset({"gross", "fee", "net", "transactionid"}),),
    fee_written_negative=True,
)
SQUARE = Processor(
    "square",
    {
        "date": ("Date",),
        "amount": ("Total Collected", "Gross Sales"),
        "fee": ("Fees",),
        "net": ("Net Total",),
        "currency": ("Currency",),
        "reference": ("Description", "Customer Reference ID", "Other Tender Note", "Notes"),
        "payer": ("Customer Name",),
        "account": ("Customer ID",),
        "transaction_id": ("Transaction ID", "Payment ID"),
    },
    (frozenset({"totalcollected", "fees", "nettotal"}), frozenset({"grosssales", "fees", "nettotal"})),
    fee_written_negative=True,
    first_filled=frozenset({"transaction_id"}),
)
PROCESSORS = (STRIPE, PAYPAL, SQUARE)

# Statuses of a row that is no money moved (a processor's failed charge, a bank's pending line).
NOT_MONEY_STATUSES = frozenset(
    norm(s)
    for s in (
        "Pending", "Failed", "Declined", "Denied", "Canceled", "Cancelled", "Voided", "Void", "Expired",
        "Reverted", "Rejected", "Incomplete",
    )
)  # fmt: skip
CREDIT_SIGNS = frozenset({"c", "cr", "credit", "h", "haben", "bij", "+", "in", "incoming", "k"})
DEBIT_SIGNS = frozenset({"d", "dr", "debit", "s", "soll", "af", "-", "out", "outgoing"})

_HEADER_CURRENCY = re.compile(r"^(.*?\S)(?:\s+|\s*[(\[]\s*)([A-Z]{3}|[€£])\s*[)\]]?$")
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP"}


def header_currency(header: str) -> tuple[tuple[str, ...], str] | None:
    """'Amount (EUR)' -> (('Amount',), 'EUR'); 'Umsatz in EUR' -> (('Umsatz in', 'Umsatz'), 'EUR'); 'Paid in £' ->
    (('Paid in', 'Paid'), 'GBP'): the header without its currency, read with and without a closing 'in'. None
    when the header names no currency."""
    m = _HEADER_CURRENCY.match(header.strip())
    if m is None:
        return None
    base = m[1].strip()
    bases = (base, base[:-3].strip()) if base.casefold().endswith(" in") else (base,)
    return bases, _CURRENCY_SYMBOLS.get(m[2], m[2])


# The import profile ----------------------------------------------------------------------------------------------

OPTIONS = ("date_order", "decimal", "delimiter", "encoding")
_KEY_WORDS = {
    "transaction": "transaction_id",
    "id": "transaction_id",
    "bank_reference": "transaction_id",
    "booking_date": "date",
    "decimal_mark": "decimal",
    "decimal_separator": "decimal",
    "separator": "delimiter",
    "memo": "description",
    "details": "description",
    "counterparty": "payer",
    "name": "payer",
    "iban": "account",
    "paid_in": "credit",
    "paid_out": "debit",
}
_ORDERS = {"dmy": DMY, "d/m/y": DMY, "daymonthyear": DMY, "mdy": MDY, "m/d/y": MDY, "monthdayyear": MDY}
_DECIMALS = {",": ",", ".": ".", "comma": ",", "point": ".", "dot": ".", "period": "."}
_DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|", "comma": ",", "semicolon": ";"}


@dataclass(frozen=True)
class Profile:
    """An import profile read: header texts for fields, and the options."""

    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_order: str | None = None
    decimal: str | None = None
    delimiter: str | None = None
    encoding: str | None = None


def _key(text: str) -> str:
    k = re.sub(r"[\s\-]+", "_", str(text).strip().casefold())
    return _KEY_WORDS.get(k, k)


def read_profile(profile: Mapping[str, str] | None, source: str) -> Profile:
    """The profile as given by the caller (field or option -> text, as kept on the ImportProfiles sheet)."""
    if not profile:
        return Profile()
    fields: dict[str, tuple[str, ...]] = {}
    options: dict[str, str] = {}
    fix = (
        "Correct the file's profile on the ImportProfiles sheet. Fields: "
        + ", ".join(f for f in GENERIC)
        + "; options: date_order (DMY or MDY), decimal (, or .), delimiter (, ; tab |), encoding (utf-8, cp1252...)."
    )
    for raw_key, raw_value in profile.items():
        key, value = _key(raw_key), str(raw_value if raw_value is not None else "").strip()
        if not value:
            continue
        if key in OPTIONS:
            options[key] = value
        elif key in GENERIC:
            names = tuple(v.strip() for v in value.split("|") if v.strip())
            if len(names) > 1 and key not in JOINED:
                raise BankFileError(source, f"the profile names several columns for {raw_key!r}: {value!r}", fix)
            fields[key] = names
        else:
            raise BankFileError(source, f"the profile has {raw_key!r}, which is no field or option", fix)
    order = decimal = delimiter = encoding = None
    if "date_order" in options:
        order = _ORDERS.get(re.sub(r"\s", "", options["date_order"].casefold()))
        if order is None:
            raise BankFileError(source, f"the profile's date_order {options['date_order']!r} is not DMY or MDY", fix)
    if "decimal" in options:
        decimal = _DECIMALS.get(options["decimal"].casefold())
        if decimal is None:
            raise BankFileError(source, f"the profile's decimal {options['decimal']!r} is not , or .", fix)
    if "delimiter" in options:
        raw = options["delimiter"]
        delimiter = _DELIMITERS.get(raw.casefold()) or (raw if raw == "\t" else None)
        if delimiter is None:
            raise BankFileError(source, f"the profile's delimiter {raw!r} is not , ; tab or |", fix)
    if "encoding" in options:
        try:
            encoding = codecs.lookup(options["encoding"]).name
        except LookupError:
            raise BankFileError(source, f"the profile's encoding {options['encoding']!r} is not known", fix) from None
    return Profile(fields, order, decimal, delimiter, encoding)
