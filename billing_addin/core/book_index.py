"""Lookups derived from a book's sheets (invoices by number, customers by ID), built once on first use and
shared by the checks, the hold-back policy and the commands. A book never changes, so neither do these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing_addin.core.schema import CUSTOMERS, INVOICES

if TYPE_CHECKING:
    from billing_addin.core.book import Book, SheetData


class Lookup:
    """Exact match first, then ignoring case: IDs are usually typed alike, and folding every value
    of a 100k-row column costs more than the rare miss."""

    def __init__(self, pairs):
        self.exact: dict[str, object] = {}
        for k, v in pairs:
            self.exact.setdefault(k, v)
        self.folded = None

    def get(self, key: str):
        hit = self.exact.get(key)
        if hit is not None or not self.exact:
            return hit
        if self.folded is None:
            self.folded = {}
            for k, v in self.exact.items():
                self.folded.setdefault(k.casefold(), v)
        return self.folded.get(key.casefold())

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


def column_of(sd: SheetData | None, name: str) -> list:
    """A column's typed values, or all None when the sheet or column is missing."""
    if sd is None:
        return []
    return sd.columns.get(name) or [None] * len(sd.rows)


class BookIndex:
    """The lookups of one book. Each is made on first use: a command that needs none pays for none."""

    def __init__(self, book: Book):
        self._book = book
        self._invoices: Lookup | None = None
        self._customers: Lookup | None = None
        self._currencies: tuple[Lookup, str] | None = None
        self._named: dict[tuple[str, str], list] = {}
        self._invoice_customers: dict[str, set[str]] | None = None

    @property
    def currencies(self) -> tuple[Lookup, str]:
        """Customer ID -> the customer's currency, and the default currency."""
        if self._currencies is None:
            book = self._book
            default = str(book.settings.get("Default Currency", "USD"))
            cust = book.sheet(CUSTOMERS.name)
            pairs = [
                (cid, cur)
                for cid, cur in zip(column_of(cust, "Customer ID"), column_of(cust, "Currency"))
                if cid is not None and cur is not None
            ]
            self._currencies = Lookup(pairs), default
        return self._currencies

    @property
    def invoices(self) -> Lookup:
        """Invoice No -> (Excel row, Customer ID, Invoice Date, Amount in cents, currency); first occurrence."""
        if self._invoices is None:
            inv = self._book.sheet(INVOICES.name)
            by_customer, default = self.currencies
            rows = []
            if inv is not None and inv.has("Invoice No"):
                cols = [column_of(inv, c) for c in ("Customer ID", "Invoice Date", "Amount", "Currency")]
                for row, no, cid, issued, amount, cur in zip(inv.rows, inv.columns["Invoice No"], *cols):
                    if no is not None:
                        currency = cur or (by_customer.get(cid) if cid is not None else None) or default
                        rows.append((no, (row, cid or "", issued, amount, currency)))
            self._invoices = Lookup(rows)
        return self._invoices

    def invoices_named(self, sd: SheetData | None, col: str) -> list:
        """For each row of `sd`, the invoice record its `col` names (None when blank or unknown)."""
        key = (sd.spec.name if sd else "", col)
        found = self._named.get(key)
        if found is None:
            invoices = self.invoices
            exact = invoices.exact
            named = column_of(sd, col)
            found = [exact.get(no) if no is not None else None for no in named]
            for i, no in enumerate(named):
                if no is not None and found[i] is None:
                    found[i] = invoices.get(no)  # the rare miss: try ignoring case
            self._named[key] = found
        return found

    @property
    def customers(self) -> Lookup:
        """Customer ID -> its Excel row on the Customers sheet."""
        if self._customers is None:
            cust = self._book.sheet(CUSTOMERS.name)
            ids = column_of(cust, "Customer ID")
            self._customers = (
                Lookup((cid, row) for row, cid in zip(cust.rows, ids) if cid is not None) if cust else Lookup(())
            )
        return self._customers

    def customers_of_invoice(self, no: str) -> set[str]:
        """Every customer (casefolded) that an Invoice No (ignoring case) is typed against on the Invoices sheet."""
        if self._invoice_customers is None:
            index: dict[str, set[str]] = {}
            sd = self._book.sheet(INVOICES.name)
            if sd is not None:
                for n, cid in zip(sd.columns.get("Invoice No", []), sd.columns.get("Customer ID", [])):
                    if n is not None and cid is not None:
                        index.setdefault(n.casefold(), set()).add(cid.casefold())
            self._invoice_customers = index
        return self._invoice_customers.get(no.casefold(), set())
