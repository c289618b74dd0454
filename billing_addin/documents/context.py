"""What goes into each letter: pure functions from (book, ledger, as-of date, selection) to Letter records.

Every value a template sees is text already formatted for the book's locale, so templates never compute
and never see a number they could mis-format. Nothing here reads files or knows about Word.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from billing_addin.core.book import Book
from billing_addin.core.claim_letters import APPEAL, PREAUTH, ClaimLetter, letter_reference
from billing_addin.core.claims import code_meaning, split_codes
from billing_addin.core.dunning import DunningDecision, DunningLevel
from billing_addin.core.ledger import VOID, InvoiceBalance, Ledger
from billing_addin.core.plans import InstallmentStanding, PlanStanding
from billing_addin.core.statements import Statement
from billing_addin.documents import formatting as fmt

SUBJECTS = {1: "Payment reminder", 2: "Past due notice", 3: "Final notice"}
PAY_WITHIN_DAYS = 14  # what a reminder asks for; the final level asks for 7
FINAL_PAY_WITHIN_DAYS = 7

# The three plan letters: template, the letter's mark in its reference (PLAN-PP-1-A, -R3, -M2) and its subject.
PLAN_AGREEMENT, PLAN_REMINDER, PLAN_MISSED = "payment_plan.docx", "installment_reminder.docx", "missed_installment.docx"
PLAN_MARKS = {PLAN_AGREEMENT: "A", PLAN_REMINDER: "R", PLAN_MISSED: "M"}
PLAN_LETTER_NAMES = {PLAN_AGREEMENT: "agreement", PLAN_REMINDER: "reminder", PLAN_MISSED: "missed"}

# The letters to a payer about one claim: template and to whom at the payer.
CLAIM_TEMPLATES = {APPEAL: "claim_appeal.docx", PREAUTH: "preauth_request.docx"}
CLAIM_ATTENTION = {APPEAL: "Appeals Department", PREAUTH: "Prior Authorization Department"}


@dataclass(frozen=True)
class Letter:
    """One letter to make: which template, for whom, about which invoices, and the template's context."""

    kind: str
    template: str  # file name in the templates folder, e.g. "reminder.docx"
    customer_id: str
    level: int | None
    invoices: tuple[str, ...]
    reference: str
    as_of: dt.date
    context: dict = field(repr=False, compare=False)
    email: str = ""  # where an e-mail draft goes; blank when the customer has none
    customer_name: str = field(default="", repr=False)  # only for an opted-in file name pattern, never logged
    period: tuple[dt.date, dt.date] | None = None  # a statement's first and last day


@dataclass(frozen=True)
class Customer:
    """The Customers sheet row a letter is addressed from."""

    customer_id: str
    name: str
    contact: str
    email: str
    address_lines: tuple[str, ...]


def customers_by_id(book: Book) -> dict[str, Customer]:
    """Customers by casefolded ID (the first row wins when an ID repeats; validation reports the repeat)."""
    sd = book.sheet("Customers")
    if sd is None:
        return {}
    col = sd.columns
    blank = [None] * len(sd.rows)

    def get(name: str) -> list:
        return col.get(name) or blank

    out: dict[str, Customer] = {}
    for cid, name, contact, email, a1, a2, city, region, postal, country in zip(
        get("Customer ID"),
        get("Name"),
        get("Contact"),
        get("Email"),
        get("Address Line 1"),
        get("Address Line 2"),
        get("City"),
        get("Region"),
        get("Postal Code"),
        get("Country"),
    ):
        if cid is None or cid.casefold() in out:
            continue
        region_postal = " ".join(p for p in (_text(region), _text(postal)) if p)
        city_line = ", ".join(p for p in (_text(city), region_postal) if p)  # "Springfield, IL 62701"
        lines = tuple(s for s in (_text(a1), _text(a2), city_line, _text(country)) if s)
        out[cid.casefold()] = Customer(cid, _text(name), _text(contact), _text(email), lines)
    return out


def company_context(book: Book) -> dict:
    s = book.settings
    address = str(s.get("Company Address", "") or "")
    return {
        "name": _text(s.get("Company Name")),
        "address_lines": [p.strip() for p in address.replace("\n", ",").split(",") if p.strip()],
        "phone": _text(s.get("Company Phone")),
        "email": _text(s.get("Company Email")),
        "payment_instructions": _text(s.get("Payment Instructions")),
        "logo": "",  # the renderer puts the image in when Settings name a logo file
    }


def invoice_row(inv: InvoiceBalance, book_invoice: dict, locale) -> dict:
    """One row of a letter's invoice table."""
    cur = inv.currency
    return {
        "number": inv.invoice_no,
        "date": fmt.short_date(inv.invoice_date, locale),
        "due_date": fmt.short_date(inv.due_date, locale),
        "description": _text(book_invoice.get("Description")),
        "po_number": _text(book_invoice.get("PO Number")),
        "amount": fmt.money(inv.amount, cur, locale),
        "paid": fmt.money(inv.paid + inv.credited + inv.written_off, cur, locale),
        "outstanding": fmt.money(inv.principal_outstanding, cur, locale),
        "fees": fmt.money(inv.fees - inv.fees_paid, cur, locale) if inv.fees - inv.fees_paid else "",
        "days_overdue": inv.days_past_due if inv.days_past_due > 0 else "",
        "disputed": inv.disputed,
    }


def invoice_details(book: Book) -> dict[str, dict]:
    """Description and PO Number of each invoice by casefolded Invoice No (what the ledger does not keep)."""
    sd = book.sheet("Invoices")
    if sd is None:
        return {}
    blank = [None] * len(sd.rows)
    out: dict[str, dict] = {}
    for no, desc, po in zip(
        sd.columns.get("Invoice No") or blank,
        sd.columns.get("Description") or blank,
        sd.columns.get("PO Number") or blank,
    ):
        if no is not None:
            out.setdefault(no.casefold(), {"Description": desc, "PO Number": po})
    return out


class LetterBuilder:
    """Builds Letter records for one book as at one date; shares the lookups between letters."""

    def __init__(self, book: Book, ledger: Ledger):
        self.book = book
        self.ledger = ledger
        self.as_of = ledger.as_of
        self.locale = fmt.locale_for(book.settings.get("Locale"))
        self.customers = customers_by_id(book)
        self.details = invoice_details(book)
        self.company = company_context(book)
        self.by_invoice = {no.casefold(): inv for no, inv in ledger.invoices.items()}

    # -- pieces ----------------------------------------------------------------------------------------------

    def _customer(self, customer_id: str) -> Customer:
        return self.customers.get(customer_id.casefold()) or Customer(customer_id, customer_id, "", "", ())

    def _base(
        self, kind: str, level: int | None, customer: Customer, reference: str, subject: str, currency: str
    ) -> dict:
        return {
            "company": dict(self.company),
            "letter": {
                "kind": kind,
                "level": level if level is not None else "",
                "date": fmt.date(self.as_of, self.locale),
                "reference": reference,
                "subject": subject,
                "currency": currency,
            },
            "customer": {
                "id": customer.customer_id,
                "name": customer.name,
                "contact": customer.contact,
                "address_lines": list(customer.address_lines),
                "email": customer.email,
            },
        }

    def _invoices_and_totals(self, invoices: Sequence[InvoiceBalance], currency: str) -> dict:
        rows = [invoice_row(inv, self.details.get(inv.invoice_no.casefold(), {}), self.locale) for inv in invoices]
        principal = sum(inv.principal_outstanding for inv in invoices)
        fees = sum(inv.fees - inv.fees_paid for inv in invoices)
        return {
            "invoices": rows,
            "totals": {
                "principal": fmt.money(principal, currency, self.locale),
                "fees": fmt.money(fees, currency, self.locale),
                "total": fmt.money(principal + fees, currency, self.locale),
                "has_fees": fees != 0,
            },
        }

    def _letter(self, kind, template, customer, level, invoices, reference, context, period=None) -> Letter:
        return Letter(
            kind=kind,
            template=template,
            customer_id=customer.customer_id,
            level=level,
            invoices=tuple(invoices),
            reference=reference,
            as_of=self.as_of,
            context=context,
            email=customer.email,
            customer_name=customer.name,
            period=period,
        )

    # -- the kinds -------------------------------------------------------------------------------------------

    def dunning(self, decision: DunningDecision, levels: Sequence[DunningLevel]) -> Letter:
        """The letter for one dunning decision: all the customer's overdue invoices in that currency."""
        customer = self._customer(decision.customer_id)
        final = decision.level >= max((lv.level for lv in levels), default=decision.level)
        subject = "Final notice" if final and decision.level > 1 else SUBJECTS.get(decision.level, "Payment reminder")
        reference = f"D{decision.level}-{decision.customer_id}-{self.as_of:%Y%m%d}"
        invoices = [self.by_invoice[no.casefold()] for no in decision.invoices]
        ctx = self._base("dunning", decision.level, customer, reference, subject, decision.currency)
        ctx.update(self._invoices_and_totals(invoices, decision.currency))
        pay_by = self.as_of + dt.timedelta(days=FINAL_PAY_WITHIN_DAYS if final else PAY_WITHIN_DAYS)
        ctx["dunning"] = {
            "max_days_overdue": decision.max_days_past_due,
            "previous_date": fmt.date(decision.previous_date, self.locale),
            "pay_by": fmt.date(pay_by, self.locale),
        }
        return self._letter(
            "dunning", decision.letter_template, customer, decision.level, decision.invoices, reference, ctx
        )

    def invoice(self, inv: InvoiceBalance) -> Letter:
        """The invoice document for one invoice."""
        customer = self._customer(inv.customer_id)
        reference = inv.invoice_no
        ctx = self._base("invoice", None, customer, reference, f"Invoice {inv.invoice_no}", inv.currency)
        ctx.update(self._invoices_and_totals([inv], inv.currency))
        row = dict(ctx["invoices"][0])
        row["terms_days"] = (inv.due_date - inv.invoice_date).days
        ctx["invoice"] = row
        return self._letter("invoice", "invoice.docx", customer, None, [inv.invoice_no], reference, ctx)

    def statement(self, st: Statement) -> Letter:
        """A statement of account for one customer, currency and period."""
        customer = self._customer(st.customer_id)
        loc, cur = self.locale, st.currency
        reference = f"S-{st.customer_id}-{st.end:%Y%m%d}"
        subject = f"Statement of account, {fmt.date(st.start, loc)} to {fmt.date(st.end, loc)}"
        ctx = self._base("statement", None, customer, reference, subject, cur)
        open_invoices = [i for i in st.open_items if isinstance(i, InvoiceBalance)]
        ctx.update(self._invoices_and_totals(open_invoices, cur))

        def money(c: int) -> str:
            return fmt.money(c, cur, loc) if c else ""

        ctx["statement"] = {
            "start": fmt.date(st.start, loc),
            "end": fmt.date(st.end, loc),
            "opening": fmt.money(st.opening, cur, loc),
            "closing": fmt.money(st.closing, cur, loc),
            "lines": [
                {
                    "date": fmt.short_date(ln.date, loc),
                    "kind": ln.kind,
                    "reference": ln.reference,
                    "invoice": ln.invoice_no,
                    "charge": money(ln.charge),
                    "credit": money(ln.credit),
                    "balance": fmt.money(ln.balance, cur, loc),
                    "due_date": fmt.short_date(ln.due_date, loc),
                    "disputed": ln.disputed,
                }
                for ln in st.lines
            ],
            "aging": [{"label": lb, "amount": fmt.money(b, cur, loc)} for lb, b in zip(st.bucket_labels, st.buckets)],
            "unapplied_credit": fmt.money(st.unapplied_credit, cur, loc),
        }
        invoices = tuple(i.invoice_no for i in open_invoices)
        return self._letter(
            "statement", "statement.docx", customer, None, invoices, reference, ctx, period=(st.start, st.end)
        )

    def plan(self, standing: PlanStanding, template: str, installment: InstallmentStanding | None = None) -> Letter:
        """A payment-plan letter: the agreement (payment_plan.docx), the reminder of an upcoming installment
        (installment_reminder.docx) or the letter about a missed one (missed_installment.docx).

        Its reference names the plan, the letter and the installment (PLAN-PP-1-A, PLAN-PP-1-R3, PLAN-PP-1-M2)
        and its level is the installment's number, so the log tells each one apart: none goes out twice."""
        terms, cur, loc = standing.terms, standing.currency, self.locale
        customer = self._customer(terms.customer_id)
        mark = PLAN_MARKS[template]
        number = installment.number if installment is not None else None
        reference = f"PLAN-{terms.plan_id}-{mark}" + (str(number) if number is not None else "")
        what = _installment_name(installment) if installment is not None else ""
        if template == PLAN_AGREEMENT:
            subject = f"Payment plan agreement {terms.plan_id}"
        elif template == PLAN_REMINDER:
            subject = f"Payment plan {terms.plan_id}: {what} due on {fmt.date(installment.due, loc)}"
        else:
            subject = f"Payment plan {terms.plan_id}: {what} not received"
        ctx = self._base("plan", None, customer, reference, subject, cur)
        covered = [self.by_invoice[no.casefold()] for no in standing.covered if no.casefold() in self.by_invoice]
        ctx.update(self._invoices_and_totals(covered, cur))

        def money(cents: int) -> str:
            return fmt.money(cents, cur, loc)

        def one(i: InstallmentStanding | None) -> dict:
            if i is None:  # the keys, blank: an e-mail template fails on a missing name, never on a blank one
                return dict.fromkeys(("number", "due_date", "amount", "paid", "to_pay"), "")
            return {
                "number": i.number,
                "due_date": fmt.date(i.due, loc),
                "amount": money(i.amount),
                "paid": money(i.paid),
                "to_pay": money(i.amount - i.paid),
            }

        ctx["plan"] = {
            "id": terms.plan_id,
            "installments": [
                {
                    "number": i.number,
                    "due_date": fmt.short_date(i.due, loc),
                    "amount": money(i.amount),
                    "paid": money(i.paid),
                    "status": i.state,
                }
                for i in standing.schedule
            ],
            "total": money(standing.amount_planned),
            "missed": one(installment if template == PLAN_MISSED else None),
            "upcoming": one(installment if template == PLAN_REMINDER else None),
            "start": fmt.date(terms.start, loc),
            "frequency": terms.frequency,
            "status": standing.status,
            "paid": money(standing.paid),
            "remaining": money(standing.amount_planned - standing.paid),
            "broken_on": fmt.date(standing.broken_on, loc),
        }
        return self._letter("plan", template, customer, number, standing.covered, reference, ctx)

    def claim(self, kind: str, chosen: ClaimLetter, patient_name: str, meanings: dict, payer_reference: str) -> Letter:
        """A letter to the payer about one claim: the appeal (redetermination request, claim_appeal.docx) of a
        denied claim, or a preauthorization request (preauth_request.docx).

        Addressed to the payer (the Appeals Address on Payers for an appeal). It carries what the payer needs
        and no more (45 CFR 164.502(b)): the patient's name and member number, the services and their date,
        the denial and its codes in the practice's own words (DenialCodes; a code not there shows bare, X12's
        texts are never shipped). Never the claim's Notes, never another claim, no invoices or balances.
        The letter's customer_id is the patient's account (what holds letters back on errors and what the
        Letters log keys by); its one "invoice" is the claim ID, which file names and the log carry instead
        of anything that names the patient."""
        claim, loc = chosen.claim, self.locale
        currency = str(self.book.settings.get("Default Currency") or "USD")
        payer_name = chosen.payer.name if chosen.payer is not None else claim.payer
        address = str((chosen.payer.appeals_address if chosen.payer is not None else None) or "")
        if kind == PREAUTH:
            address = ""  # Payers keeps where appeals go, not where preauthorization requests go
        recipient = Customer(
            claim.patient_account,
            payer_name,
            CLAIM_ATTENTION[kind],
            "",
            tuple(p.strip() for p in address.replace("\n", ",").split(",") if p.strip()),
        )
        reference = letter_reference(kind, claim.claim_id)
        if kind == APPEAL:
            subject = f"Request for redetermination (appeal) of claim {claim.claim_id}"
        else:
            subject = f"Request for prior authorization: claim {claim.claim_id}"
        ctx = self._base(kind, None, recipient, reference, subject, currency)
        ctx["invoices"] = []  # no invoices or balances in a letter to a payer
        ctx["totals"] = {"principal": "", "fees": "", "total": "", "has_fees": False}
        service_date = fmt.short_date(claim.date_of_service, loc)
        denial_codes = []
        for code in claim.denial_codes:
            meaning, _ = code_meaning(code, meanings)
            denial_codes.append({"code": code, "meaning": _text(meaning)})
        deadline = chosen.deadline
        ctx["claim"] = {
            "number": claim.claim_id,
            "payer_reference": payer_reference,
            "payer": payer_name,
            "payer_type": _text(claim.payer_type),
            "patient": patient_name,
            "member_id": _text(claim.member_id),
            "date_of_service": fmt.date(claim.date_of_service, loc),
            "services": [{"code": code, "date": service_date} for code in split_codes(claim.procedure_codes)],
            "billed": fmt.money(claim.billed, currency, loc) if claim.billed is not None else "",
            "submitted": fmt.date(claim.submitted, loc),
            "denial_date": fmt.date(claim.denial_date, loc),
            "denial_codes": denial_codes,
            "deadline": fmt.date(deadline.date if deadline is not None else None, loc),
            "preauth_number": _text(claim.preauth_number),
        }
        letter = self._letter(kind, CLAIM_TEMPLATES[kind], recipient, None, [claim.claim_id], reference, ctx)
        # No e-mail draft to the patient's address, and no name of anyone in a file name but the payer's.
        return replace(letter, email="", customer_name=payer_name)


def _installment_name(i: InstallmentStanding) -> str:
    return "the down payment" if i.number == 0 else f"installment {i.number}"


def invoices_for_rows(book: Book, ledger: Ledger, rows: Iterable[int]) -> list[InvoiceBalance]:
    """The ledger's invoices on the given Excel rows of the Invoices sheet (voided ones left out)."""
    wanted = set(rows)
    return [inv for inv in ledger.invoices.values() if inv.row in wanted and inv.status != VOID]


def customers_for_rows(book: Book, rows: Iterable[int]) -> list[str]:
    """Customer IDs on the given Excel rows of the Customers sheet."""
    sd = book.sheet("Customers")
    if sd is None:
        return []
    wanted = set(rows)
    ids = sd.columns.get("Customer ID") or []
    return [cid for r, cid in zip(sd.rows, ids) if r in wanted and cid is not None]


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()
