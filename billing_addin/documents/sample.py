"""A complete sample context for each letter kind: what `billing templates check` fills a template with
for its trial render, and what the template tests use. Names that break naive code on purpose."""

from __future__ import annotations

from billing_addin.documents.variables import BY_KIND, COMMON


def sample_invoices(n: int = 3) -> list[dict]:
    return [
        {
            "number": f"INV-{1000 + i}",
            "date": "Jul 1, 2026",
            "due_date": "Jul 31, 2026",
            "description": "Consulting hours & materials",
            "po_number": f"PO-{77 + i}",
            "amount": "$1,250.00",
            "paid": "$250.00",
            "outstanding": "$1,000.00",
            "fees": "$15.00",
            "days_overdue": 45 + i,
            "disputed": i == 1,
        }
        for i in range(n)
    ]


def sample_context(kind: str, invoices: int = 3) -> dict:
    """Every variable of COMMON and of `kind`'s BY_KIND, filled."""
    rows = sample_invoices(invoices)
    ctx = {
        "company": {
            "name": "Brightside Billing Co.",
            "address_lines": ["12 Market Street, Suite 400", "Springfield, IL 62701"],
            "phone": "+1 217 555 0100",
            "email": "accounts@brightside.example",
            "payment_instructions": "Bank transfer to account 000123456; quote your invoice number.",
            "logo": "",
        },
        "letter": {
            "kind": kind,
            "level": 2 if kind == "dunning" else "",
            "date": "November 27, 2026",
            "reference": "D2-C001-20261127",
            "subject": "Past due notice",
            "currency": "USD",
        },
        "customer": {
            "id": "C001",
            "name": "Johnson & Sons <Ltd>",
            "contact": "Siobhán O'Brien",
            "address_lines": ["1 Café Müller Way", "Springfield, IL 62701"],
            "email": "ap@johnson.example",
        },
        "invoices": rows,
        "totals": {"principal": "$3,000.00", "fees": "$45.00", "total": "$3,045.00", "has_fees": True},
        "invoice": {**rows[0], "terms_days": 30},
        "statement": {
            "start": "September 1, 2026",
            "end": "November 27, 2026",
            "opening": "$500.00",
            "closing": "$3,045.00",
            "lines": [
                {
                    "date": "Sep 3, 2026",
                    "kind": "Invoice",
                    "reference": "INV-1000",
                    "invoice": "INV-1000",
                    "charge": "$1,250.00",
                    "credit": "",
                    "balance": "$1,750.00",
                    "due_date": "Oct 3, 2026",
                    "disputed": True,
                },
                {
                    "date": "Sep 20, 2026",
                    "kind": "Payment",
                    "reference": "P-5001",
                    "invoice": "INV-1000",
                    "charge": "",
                    "credit": "$250.00",
                    "balance": "$1,500.00",
                    "due_date": "",
                    "disputed": False,
                },
            ],
            "aging": [{"label": "Current", "amount": "$0.00"}, {"label": "1-30", "amount": "$3,045.00"}],
            "unapplied_credit": "$0.00",
        },
        "dunning": {"max_days_overdue": 47, "previous_date": "November 1, 2026", "pay_by": "December 11, 2026"},
        "plan": {
            "id": "PP-7",
            "installments": [
                {"number": 0, "due_date": "Oct 1, 2026", "amount": "$500.00", "paid": "$500.00", "status": "Paid"},
                {"number": 1, "due_date": "Nov 1, 2026", "amount": "$500.00", "paid": "$200.00", "status": "Late"},
                {"number": 2, "due_date": "Dec 1, 2026", "amount": "$500.00", "paid": "$0.00", "status": "Upcoming"},
            ],
            "total": "$3,000.00",
            "missed": {
                "number": 1,
                "due_date": "November 1, 2026",
                "amount": "$500.00",
                "paid": "$200.00",
                "to_pay": "$300.00",
            },
            "upcoming": {
                "number": 2,
                "due_date": "December 1, 2026",
                "amount": "$500.00",
                "paid": "$0.00",
                "to_pay": "$500.00",
            },
            "start": "October 1, 2026",
            "frequency": "Monthly",
            "status": "Active",
            "paid": "$700.00",
            "remaining": "$2,300.00",
            "broken_on": "",
        },
        "claim": {
            "number": "CLM-55",
            "payer_reference": "ICN 22126000123450",
            "payer": "Medicare Part B",
            "payer_type": "Medicare",
            "patient": "Ana Smith",
            "member_id": "1EG4-TE5-MK73",
            "date_of_service": "August 4, 2026",
            "services": [{"code": "99213", "date": "Aug 4, 2026"}, {"code": "93000", "date": "Aug 4, 2026"}],
            "billed": "$320.00",
            "submitted": "August 10, 2026",
            "denial_date": "September 2, 2026",
            # The practice's own words (DenialCodes); a code not on that sheet comes with a blank meaning.
            "denial_codes": [
                {"code": "CO-16", "meaning": "Something is missing on the claim"},
                {"code": "N290", "meaning": ""},
            ],
            "deadline": "December 31, 2026",
            "preauth_number": "PA-889",
        },
    }
    wanted = {n.split(".")[0] for n in COMMON} | {n.split(".")[0] for n in BY_KIND.get(kind, {})}
    return {k: v for k, v in ctx.items() if k in wanted}
