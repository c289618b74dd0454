"""What a letter template may use: the variables every letter gets, and those of each kind.

The one list that `billing templates check` compares templates against and that the README documents.
Every value is already formatted for the book's locale (money with its currency, dates as words), so a
template only places text. Lists are lists of dicts with the keys shown.
"""

from __future__ import annotations

KINDS = ("invoice", "statement", "dunning", "plan", "appeal", "preauth")

COMMON: dict[str, str] = {
    "company.name": "Company Name from Settings.",
    "company.address_lines": "Company Address from Settings, one list item per line.",
    "company.phone": "Company Phone from Settings (may be blank).",
    "company.email": "Company Email from Settings (may be blank).",
    "company.payment_instructions": "Payment Instructions from Settings (may be blank).",
    "company.logo": "The logo image (Logo Path in Settings), or blank.",
    "letter.kind": "invoice, statement, dunning, plan, appeal or preauth.",
    "letter.level": "The dunning level (1, 2, 3 ...), blank for other kinds.",
    "letter.date": "The as-of date, formatted for the locale.",
    "letter.reference": "Our reference, e.g. D2-C001-20261127.",
    "letter.subject": "The subject line.",
    "letter.currency": "The currency code of the amounts.",
    "customer.id": "Customer ID.",
    "customer.name": "Customer name.",
    "customer.contact": "Contact person (may be blank).",
    "customer.address_lines": "Name-free address block lines (street, city line, country).",
    "customer.email": "Customer e-mail (may be blank).",
    "invoices": "The invoices concerned: number, date, due_date, description, po_number, amount, paid, "
    "outstanding, fees, days_overdue, disputed (true when the customer disputes it).",
    "totals.principal": "Principal still owed on the invoices concerned.",
    "totals.fees": "Late fees and interest on them (charged and accrued), apart from principal.",
    "totals.total": "Principal plus fees.",
    "totals.has_fees": "True when there are any fees.",
}

INVOICE_ROW_KEYS = (
    "number",
    "date",
    "due_date",
    "description",
    "po_number",
    "amount",
    "paid",
    "outstanding",
    "fees",
    "days_overdue",
    "disputed",
)

BY_KIND: dict[str, dict[str, str]] = {
    "invoice": {
        "invoice": "The one invoice: the same keys as a row of invoices, plus terms_days.",
    },
    "statement": {
        "statement.start": "First day of the period.",
        "statement.end": "Last day of the period.",
        "statement.opening": "Balance before the period.",
        "statement.closing": "Balance at its end.",
        "statement.lines": "Each line: date, kind, reference, invoice, charge, credit, balance, due_date (an "
        "invoice line's due date, else blank), disputed (true on an invoice line the customer disputes).",
        "statement.aging": "Aging of what is open at the end: label, amount.",
        "statement.unapplied_credit": "Credit not yet applied to an invoice.",
    },
    "dunning": {
        "dunning.max_days_overdue": "Days the most overdue invoice is late.",
        "dunning.previous_date": "When the previous reminder went out (blank if none).",
        "dunning.pay_by": "The date to pay by (as-of date + 14 days, or + 7 at the final level).",
    },
    "plan": {
        "plan.id": "Plan reference (Plan ID on PaymentPlans).",
        "plan.installments": "Each installment: number (0 is the down payment), due_date, amount, paid, status "
        "(Upcoming, Due, Paid, Late or Missed).",
        "plan.total": "The plan's total: what it covers, down payment and installments together.",
        "plan.missed": "The missed installment (missed_installment.docx): number, due_date, amount, paid, to_pay.",
        "plan.upcoming": "The installment a reminder is about (installment_reminder.docx): number, due_date, amount, "
        "paid, to_pay.",
        "plan.start": "The plan's first day (Start Date).",
        "plan.frequency": "Weekly, Every 2 Weeks, Monthly or Custom.",
        "plan.status": "Proposed, Active, Completed, Broken or Cancelled.",
        "plan.paid": "Paid towards the plan so far.",
        "plan.remaining": "What is still to pay under the plan.",
        "plan.broken_on": "The day the plan broke (blank unless it is Broken).",
    },
    # The letters to a payer about one claim (billing letters --kind appeal / preauth). `customer` is the payer.
    "appeal": {
        "claim.number": "Our Claim ID (the patient control number sent on the claim).",
        "claim.payer_reference": "The payer's own claim number, when the Remittance sheet has it (else blank).",
        "claim.payer": "The payer's name.",
        "claim.payer_type": "Medicare, Medicaid, Commercial or Self (may be blank).",
        "claim.patient": "The patient's (beneficiary's) name, from Customers.",
        "claim.member_id": "The member (Medicare) number.",
        "claim.date_of_service": "The date of service (a preauthorization: the planned date, may be blank).",
        "claim.services": "Each procedure code of the claim: code, date (of service).",
        "claim.billed": "What was billed to the payer (may be blank).",
        "claim.submitted": "When the claim was sent (may be blank).",
        "claim.denial_date": "When the payer denied it (may be blank).",
        "claim.denial_codes": "Each denial code: code, meaning (the practice's own words from DenialCodes; blank "
        "for a code not there).",
        "claim.deadline": "The last day to appeal (blank when the add-in cannot know it).",
        "claim.preauth_number": "The preauthorization's reference (may be blank).",
    },
}

# Which letter kind each shipped template serves.
TEMPLATE_KINDS: dict[str, str] = {
    "invoice.docx": "invoice",
    "statement.docx": "statement",
    "reminder.docx": "dunning",
    "past_due.docx": "dunning",
    "final_notice.docx": "dunning",
    "payment_plan.docx": "plan",
    "installment_reminder.docx": "plan",
    "missed_installment.docx": "plan",
    "claim_appeal.docx": "appeal",
    "preauth_request.docx": "preauth",
}


BY_KIND["preauth"] = dict(BY_KIND["appeal"])  # the same claim, asked about before the service


def known_names(kind: str | None) -> set[str]:
    """Top-level names a template of `kind` may use (None: any kind's)."""
    names = set(COMMON)
    for k, extra in BY_KIND.items():
        if kind is None or k == kind:
            names |= set(extra)
    return {n.split(".")[0] for n in names}
