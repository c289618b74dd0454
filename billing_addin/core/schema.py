"""The billing workbook contract: every sheet the add-in reads or owns, declared once.

The template workbook is built from this, the reader matches headers with it, the type and required
checks come from it, and the README's workbook reference is generated from it (`billing schema --markdown`).
Later sheets (fee policies, rate table, dunning levels, payment plans, claims, letters) are added here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What a cell must hold. Conversion lives in `values.py`."""

    TEXT = "text"
    ID = "id"  # an identifier: numbers typed as 1001 and text "1001" mean the same
    MONEY = "money"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"  # e.g. a percent rate
    EMAIL = "email"
    CURRENCY = "currency"  # ISO 4217 code
    CHOICE = "choice"


@dataclass(frozen=True)
class Field:
    """One column: canonical header, kind, required flag, aliases people use, dropdown choices."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    width: float = 14
    # A text field that may hold a flag instead: Yes/No, Y/N, True/False, 1/0, x/blank (in several languages)
    # are read as the flag (a "No" is never a dispute reason; a "Yes" is this text).
    flag_text: str | None = None

    @property
    def number_format(self) -> str | None:
        return {Kind.MONEY: "#,##0.00", Kind.DATE: "yyyy-mm-dd", Kind.INTEGER: "0"}.get(self.kind)


@dataclass(frozen=True)
class SheetSpec:
    """One input sheet: its name, the Excel Table name the template gives it, its columns, its key."""

    name: str
    table: str
    description: str
    fields: tuple[Field, ...]
    key: str | None = None
    aliases: tuple[str, ...] = ()
    when_missing: str | None = "error"  # finding severity when the sheet is absent; None: defaults apply

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


@dataclass(frozen=True)
class SettingSpec:
    """One row of the Settings sheet (a Setting / Value table)."""

    name: str
    kind: Kind
    description: str
    default: object = None
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def normalize_header(text: object) -> str:
    """Header text reduced for matching: case, spaces and punctuation ignored; '#' reads as 'no'.

    >>> normalize_header(" Invoice # ")
    'invoiceno'
    """
    s = str(text or "").strip().lower().replace("#", "no").replace("№", "no")
    return re.sub(r"[^a-z0-9]", "", s)


CUSTOMER_ID = Field(
    "Customer ID",
    Kind.ID,
    "The customer's unique code, used to link invoices, payments and adjustments.",
    required=True,
    aliases=(
        "Cust ID",
        "Customer #",
        "Customer No",
        "Customer Number",
        "Client ID",
        "Account",
        "Account No",
        "Account Number",
        "Cust No",
        "CustID",
        "Customer Code",
        "Client No",
    ),
)
CURRENCY = Field(
    "Currency",
    Kind.CURRENCY,
    "ISO 4217 code such as USD, EUR, GBP; blank means the default currency in Settings.",
    aliases=("Curr", "Ccy", "Currency Code"),
    width=10,
)
INVOICE_NO_ALIASES = (
    "Invoice #",
    "Inv No",
    "Invoice Number",
    "Inv #",
    "Invoice",
    "Inv Number",
    "Invoice ID",
    "Bill No",
    "Bill Number",
    "Document No",
)

DUNNING_CHOICES = ("Auto", "Manual", "Excluded")
ADJUSTMENT_TYPES = ("Credit Note", "Write-off", "Refund", "Returned Payment", "Late Fee", "Other")
INVOICE_STATUS_CHOICES = ("Void",)
PAYMENT_METHODS = ("Bank Transfer", "Check", "Card", "Cash", "ACH", "Direct Debit", "Other")

CUSTOMERS = SheetSpec(
    name="Customers",
    table="tblCustomers",
    description="One row per customer: who they are, where letters go, their terms and dunning setting.",
    key="Customer ID",
    aliases=("Customer", "Clients"),
    fields=(
        CUSTOMER_ID,
        Field(
            "Name",
            Kind.TEXT,
            "Customer or company name as it appears on letters.",
            required=True,
            aliases=("Customer Name", "Company", "Company Name", "Client", "Client Name", "Account Name"),
            width=28,
        ),
        Field(
            "Contact",
            Kind.TEXT,
            "The person letters are addressed to.",
            aliases=("Contact Name", "Attention", "Attn", "Contact Person"),
            width=20,
        ),
        Field(
            "Email",
            Kind.EMAIL,
            "Where e-mailed letters go.",
            aliases=("E-mail", "Email Address", "E-mail Address", "Mail"),
            width=26,
        ),
        Field("Phone", Kind.TEXT, "Phone number.", aliases=("Telephone", "Tel", "Phone Number"), width=16),
        Field(
            "Address Line 1",
            Kind.TEXT,
            "Street address.",
            aliases=("Address", "Address 1", "Street", "Street Address"),
            width=26,
        ),
        Field("Address Line 2", Kind.TEXT, "Suite, floor, building.", aliases=("Address 2",), width=18),
        Field("City", Kind.TEXT, "City or town.", aliases=("Town",)),
        Field("Region", Kind.TEXT, "State, county or province.", aliases=("State", "Province", "County")),
        Field(
            "Postal Code",
            Kind.TEXT,
            "ZIP or postal code (kept as text so leading zeros stay).",
            aliases=("ZIP", "Zip Code", "Postcode", "Post Code"),
        ),
        Field("Country", Kind.TEXT, "Country name or code."),
        CURRENCY,
        Field(
            "Payment Terms",
            Kind.INTEGER,
            "Days from invoice date to due date; blank = default terms.",
            aliases=("Terms", "Payment Terms (days)", "Terms (days)", "Net Days", "Days"),
            width=12,
        ),
        Field(
            "Late Fee Policy",
            Kind.TEXT,
            "A policy name from FeePolicies, or Exempt; blank = the default.",
            aliases=("Fee Policy", "Late Fee"),
            width=16,
        ),
        Field(
            "Dunning",
            Kind.CHOICE,
            "Auto: reminders go out by level. Manual or Excluded: none.",
            choices=DUNNING_CHOICES,
            aliases=("Dunning Mode", "Reminders"),
            width=11,
        ),
        Field("Notes", Kind.TEXT, "Anything else; never printed on letters.", aliases=("Note", "Comments"), width=30),
    ),
)

INVOICES = SheetSpec(
    name="Invoices",
    table="tblInvoices",
    description="One row per invoice issued.",
    key="Invoice No",
    aliases=("Invoice", "Bills"),
    fields=(
        Field("Invoice No", Kind.ID, "The invoice's unique number.", required=True, aliases=INVOICE_NO_ALIASES),
        CUSTOMER_ID,
        Field(
            "Invoice Date",
            Kind.DATE,
            "Date the invoice was issued.",
            required=True,
            aliases=("Date", "Inv Date", "Issue Date", "Invoice Dt", "Date Issued", "Billing Date"),
            width=12,
        ),
        Field(
            "Due Date",
            Kind.DATE,
            "Date payment is due; blank = invoice date + the customer's terms.",
            aliases=("Due", "Due Dt", "Payment Due", "Date Due", "Due On", "Payment Due Date", "Invoice Due Date"),
            width=12,
        ),
        Field(
            "Amount",
            Kind.MONEY,
            "Invoice total, more than zero.",
            required=True,
            aliases=(
                "Total",
                "Amount Due",
                "Invoice Amount",
                "Invoice Total",
                "Amt",
                "Gross",
                "Gross Amount",
                "Total Amount",
                "Value",
            ),
        ),
        CURRENCY,
        Field("Description", Kind.TEXT, "What was sold.", aliases=("Desc", "Details", "Item"), width=28),
        Field(
            "PO Number",
            Kind.TEXT,
            "The customer's purchase order number.",
            aliases=("PO", "PO #", "PO No", "Purchase Order", "Customer PO"),
        ),
        Field(
            "Status",
            Kind.CHOICE,
            "Blank for a live invoice, or Void for a cancelled one.",
            choices=INVOICE_STATUS_CHOICES,
            width=10,
        ),
        Field(
            "Hold Until",
            Kind.DATE,
            "No reminders or fees until this date.",
            aliases=("Hold", "On Hold Until", "Hold Date", "On Hold", "Held Until"),
            width=12,
        ),
        Field(
            "Dispute",
            Kind.TEXT,
            "Why the customer disputes it; blank when there is no dispute. Yes/No (Y/N, True/False, 1/0, x) "
            "is read as a flag: No is no dispute.",
            aliases=("Dispute Reason", "Disputed", "In Dispute", "Dispute Flag", "Is Disputed"),
            width=22,
            flag_text="Disputed",
        ),
        Field(
            "Promise To Pay",
            Kind.DATE,
            "The date the customer promised to pay by (a phone call noted): no reminders until then.",
            aliases=("Promise Date", "Promised Date", "Promised By", "PTP Date", "Promise To Pay Date"),
            width=13,
        ),
        Field(
            "Promised Amount",
            Kind.MONEY,
            "How much the customer promised to pay by that date; blank = everything owed on the invoice.",
            aliases=("Promise Amount", "PTP Amount", "Amount Promised"),
            width=13,
        ),
        Field(
            "Claim ID",
            Kind.ID,
            "Medical practices: the insurance claim for this visit (Claims sheet). While the claim is with the "
            "insurer the invoice is not billed to the patient; `billing era post` posts the insurer's payment and "
            "write-offs to it, leaving what the patient owes.",
            aliases=("Claim No", "Claim Number"),
            width=12,
        ),
    ),
)

PAYMENTS = SheetSpec(
    name="Payments",
    table="tblPayments",
    description="One row per payment received.",
    key="Payment ID",
    aliases=("Payment", "Receipts", "Remittances"),
    fields=(
        Field(
            "Payment ID",
            Kind.ID,
            "Your own reference for the payment (optional but unique when given).",
            aliases=("Payment #", "Payment No", "Receipt No", "Receipt #", "Pmt ID", "Payment Number"),
        ),
        CUSTOMER_ID,
        Field(
            "Payment Date",
            Kind.DATE,
            "Date the money arrived.",
            required=True,
            aliases=(
                "Date",
                "Paid On",
                "Date Paid",
                "Paid Date",
                "Received",
                "Date Received",
                "Received Date",
                "Payment Received Date",
                "Date of Payment",
                "Pmt Date",
                "Receipt Date",
                "Settled Date",
                "Date Settled",
                "Settlement Date",
                "Settled On",
                "Deposit Date",
                "Date Deposited",
                "Value Date",
                "Cleared Date",
                "Clearing Date",
            ),
            width=12,
        ),
        Field(
            "Amount",
            Kind.MONEY,
            "Amount received, more than zero.",
            required=True,
            aliases=("Amount Paid", "Payment Amount", "Paid", "Amt", "Total", "Amount Received", "Receipt Amount"),
        ),
        CURRENCY,
        Field(
            "Method",
            Kind.CHOICE,
            "How it was paid.",
            choices=PAYMENT_METHODS,
            aliases=("Payment Method", "Type", "Pay Method"),
            width=14,
        ),
        Field(
            "Reference",
            Kind.TEXT,
            "Check number, bank reference.",
            aliases=("Ref", "Check No", "Check #", "Cheque No", "Bank Reference", "Transaction ID"),
        ),
        Field(
            "Applied To",
            Kind.ID,
            "An Invoice No this payment pays; blank = oldest open invoices first.",
            aliases=(
                "Invoice No",
                "Invoice #",
                "Invoice Number",
                "Invoice ID",
                "Inv No",
                "Inv #",
                "Inv Number",
                "Apply To",
                "Applied To Invoice",
                "For Invoice",
                "Invoice",
                "Invoice Paid",
                "Paid Invoice",
                "Bill No",
                "Bill Number",
            ),
            width=14,
        ),
        Field("Notes", Kind.TEXT, "Anything else.", aliases=("Note", "Comments", "Memo"), width=24),
        Field(
            "Bank Transaction ID",
            Kind.ID,
            "The bank's or processor's id of the line it came from (billing payments post fills it): never imported twice.",
            aliases=("Bank Ref", "Transaction Ref", "FITID"),
            width=16,
        ),
    ),
)

ADJUSTMENTS = SheetSpec(
    name="Adjustments",
    table="tblAdjustments",
    description="Credit notes, write-offs, refunds, returned payments, late fees and other corrections.",
    key="Adjustment ID",
    aliases=("Adjustment", "Credits"),
    when_missing="warning",
    fields=(
        Field(
            "Adjustment ID",
            Kind.ID,
            "Your own reference (optional but unique when given).",
            aliases=("Adj ID", "Adjustment #", "Adjustment No", "Credit Note No"),
        ),
        CUSTOMER_ID,
        Field(
            "Invoice No",
            Kind.ID,
            "The invoice it concerns; blank = the customer's account.",
            aliases=INVOICE_NO_ALIASES,
            width=14,
        ),
        Field(
            "Date",
            Kind.DATE,
            "Date of the adjustment.",
            required=True,
            aliases=("Adjustment Date", "Adj Date", "Posted"),
            width=12,
        ),
        Field(
            "Type",
            Kind.CHOICE,
            "What kind of adjustment it is.",
            required=True,
            choices=ADJUSTMENT_TYPES,
            aliases=("Adjustment Type", "Kind"),
            width=16,
        ),
        Field(
            "Amount",
            Kind.MONEY,
            "Amount of the adjustment, more than zero.",
            required=True,
            aliases=("Amt", "Value", "Adjustment Amount"),
        ),
        Field("Reason", Kind.TEXT, "Why it was made.", aliases=("Notes", "Note", "Description", "Memo"), width=30),
    ),
)

FEE_TYPES = ("Flat", "Percent", "Recurring Percent", "Daily Interest", "Statutory EU", "Statutory UK")
FEE_FREQUENCIES = ("Daily", "Weekly", "Monthly", "Quarterly", "Yearly")

FEE_POLICIES = SheetSpec(
    name="FeePolicies",
    table="tblFeePolicies",
    description="Late fee and interest policies; customers name one in Late Fee Policy (blank = the default).",
    key="Policy",
    aliases=("Fee Policies", "Late Fees", "Late Fee Policies"),
    when_missing=None,
    fields=(
        Field(
            "Policy",
            Kind.ID,
            "The policy's name, as customers and dunning levels refer to it.",
            required=True,
            aliases=("Policy Name", "Name"),
            width=16,
        ),
        Field(
            "Type",
            Kind.CHOICE,
            "How the fee is worked out.",
            required=True,
            choices=FEE_TYPES,
            aliases=("Fee Type", "Kind"),
            width=18,
        ),
        Field(
            "Rate",
            Kind.NUMBER,
            "Percent: of the overdue balance (once or per period), or the annual rate "
            "for Daily Interest; for Statutory, the points above the reference rate (at least 8).",
            aliases=("Rate %", "Percent", "Interest Rate"),
            width=8,
        ),
        Field(
            "Amount",
            Kind.MONEY,
            "A flat fee, or the fixed sum added to a percent fee.",
            aliases=("Flat Fee", "Fee", "Fixed Amount"),
        ),
        Field("Grace Days", Kind.INTEGER, "Days after the due date before any fee.", aliases=("Grace",), width=10),
        Field(
            "Minimum Balance", Kind.MONEY, "No fee while the overdue balance is below this.", aliases=("Min Balance",)
        ),
        Field("Minimum Fee", Kind.MONEY, "The smallest fee charged at a time.", aliases=("Min Fee",)),
        Field("Maximum Fee", Kind.MONEY, "The most charged on one invoice in all.", aliases=("Max Fee", "Cap")),
        Field(
            "Frequency",
            Kind.CHOICE,
            "How often a Recurring Percent fee is charged.",
            choices=FEE_FREQUENCIES,
            aliases=("Period", "Every"),
            width=11,
        ),
        Field(
            "Max Charges",
            Kind.INTEGER,
            "The most times a recurring fee is charged on one invoice.",
            aliases=("Max Periods", "Maximum Charges"),
            width=11,
        ),
        Field(
            "Compound",
            Kind.CHOICE,
            "Yes: recurring fees are charged on earlier fees too.",
            choices=("Yes", "No"),
            width=10,
        ),
    ),
)

RATE_TABLE = SheetSpec(
    name="RateTable",
    table="tblRateTable",
    description="Reference rates for statutory interest: ECB main refinancing rate (EU), Bank of England base "
    "rate (UK).",
    aliases=("Rate Table", "Reference Rates", "Rates"),
    when_missing=None,
    fields=(
        Field(
            "Regime",
            Kind.CHOICE,
            "EU (Directive 2011/7/EU) or UK (Late Payment Act 1998).",
            required=True,
            choices=("EU", "UK"),
            width=8,
        ),
        Field(
            "Effective From",
            Kind.DATE,
            "The date the rate took effect.",
            required=True,
            aliases=("From", "Effective", "Date"),
            width=13,
        ),
        Field(
            "Rate",
            Kind.NUMBER,
            "The reference rate in percent, e.g. 3.15.",
            required=True,
            aliases=("Rate %", "Reference Rate"),
            width=8,
        ),
        Field("Source", Kind.TEXT, "Where the rate was published.", width=50),
    ),
)

DUNNING_LEVELS = SheetSpec(
    name="DunningLevels",
    table="tblDunningLevels",
    description="Reminder levels: which letter goes out how long after the due date.",
    key="Level",
    aliases=("Dunning Levels", "Reminder Levels"),
    when_missing=None,
    fields=(
        Field("Level", Kind.INTEGER, "1 for the first reminder, then 2, 3 ...", required=True, width=7),
        Field(
            "Days Past Due",
            Kind.INTEGER,
            "The most overdue invoice must be at least this late.",
            required=True,
            aliases=("Days Overdue", "Days Late"),
            width=12,
        ),
        Field(
            "Letter Template",
            Kind.TEXT,
            "The letter template in letter_templates/ (e.g. reminder.docx).",
            required=True,
            aliases=("Template", "Letter"),
            width=20,
        ),
        Field(
            "Fee Policy",
            Kind.TEXT,
            "A FeePolicies policy charged at this level (blank: none).",
            aliases=("Policy",),
            width=14,
        ),
        Field(
            "Min Balance",
            Kind.MONEY,
            "No letter while the overdue balance is below this.",
            aliases=("Minimum Balance",),
        ),
        Field(
            "Days Since Previous",
            Kind.INTEGER,
            "Days to wait after the previous level's letter.",
            aliases=("Wait Days", "Days Since Last"),
            width=12,
        ),
    ),
)

PLAN_FREQUENCIES = ("Weekly", "Every 2 Weeks", "Monthly", "Custom")
PLAN_STATUSES = ("Proposed", "Active", "Completed", "Broken", "Cancelled")

PAYMENT_PLANS = SheetSpec(
    name="PaymentPlans",
    table="tblPaymentPlans",
    description="Payment plans agreed with customers who need help: a down payment, then installments.",
    key="Plan ID",
    aliases=("Payment Plans", "Plans", "Installment Plans"),
    when_missing=None,
    fields=(
        Field("Plan ID", Kind.ID, "The plan's reference, e.g. PP-1.", required=True, aliases=("Plan", "Plan No")),
        CUSTOMER_ID,
        Field(
            "Invoices",
            Kind.TEXT,
            "The invoices the plan covers, e.g. INV-1; INV-7. Blank: the customer's whole balance on the start date.",
            aliases=("Invoice Nos", "Covered Invoices", "Invoice No"),
            width=22,
        ),
        Field("Start Date", Kind.DATE, "The plan's first day.", required=True, aliases=("Start", "From"), width=12),
        Field(
            "Down Payment",
            Kind.MONEY,
            "Paid on the start date, before the installments; blank = none.",
            aliases=("Down", "Deposit", "Downpayment"),
        ),
        Field(
            "Installments",
            Kind.INTEGER,
            "How many installments after the down payment (Custom: the PlanInstallments rows).",
            aliases=("Number Of Installments", "Payments", "No Of Installments"),
            width=12,
        ),
        Field(
            "Frequency",
            Kind.CHOICE,
            "Weekly, Every 2 Weeks, Monthly, or Custom (dates and amounts on PlanInstallments).",
            choices=PLAN_FREQUENCIES,
            required=True,
            aliases=("Schedule", "Every"),
            width=14,
        ),
        Field(
            "Installment Amount",
            Kind.MONEY,
            "Each installment; blank = equal amounts, the last one taking the rounding remainder.",
            aliases=("Installment", "Amount Per Installment"),
            width=14,
        ),
        Field(
            "Grace Days",
            Kind.INTEGER,
            "Days after an installment's due date before it counts as missed.",
            aliases=("Grace",),
            width=10,
        ),
        Field(
            "Fee Policy While Current",
            Kind.TEXT,
            "A FeePolicies policy charged while the plan is kept; blank = no late fees while it is.",
            aliases=("Fee Policy",),
            width=16,
        ),
        Field(
            "Status",
            Kind.CHOICE,
            "Proposed, Active, Completed, Broken or Cancelled; blank = Active. Broken and Completed are also "
            "worked out from the payments.",
            choices=PLAN_STATUSES,
            width=11,
        ),
        Field("Agreed On", Kind.DATE, "The day the customer agreed (signed).", aliases=("Signed On",), width=12),
        Field("Notes", Kind.TEXT, "Anything else; never printed on letters.", aliases=("Note", "Comments"), width=24),
    ),
)

PLAN_INSTALLMENTS = SheetSpec(
    name="PlanInstallments",
    table="tblPlanInstallments",
    description="The dates and amounts of Custom payment plans, one row per installment.",
    aliases=("Plan Installments", "Installments"),
    when_missing=None,
    fields=(
        Field("Plan ID", Kind.ID, "The Custom plan on PaymentPlans.", required=True, aliases=("Plan",)),
        Field("Due Date", Kind.DATE, "When this installment is due.", required=True, aliases=("Due",), width=12),
        Field("Amount", Kind.MONEY, "How much is due then.", required=True, aliases=("Installment Amount",)),
    ),
)

PAYER_ALIASES = SheetSpec(
    name="PayerAliases",
    table="tblPayerAliases",
    description="Who a payer on the bank statement is: a name or account -> a Customer ID. `billing payments post` "
    "adds a row each time the clerk confirms a match.",
    aliases=("Payer Aliases", "Bank Payers"),
    when_missing=None,
    fields=(
        Field("Payer", Kind.TEXT, "The payer's name or account (IBAN) as the bank shows it.", required=True, width=30),
        CUSTOMER_ID,
    ),
)

IMPORT_PROFILES = SheetSpec(
    name="ImportProfiles",
    table="tblImportProfiles",
    description="For a bank file with unusual headers: which header holds which field (billing payments import "
    "--profile NAME).",
    aliases=("Import Profiles",),
    when_missing=None,
    fields=(
        Field("Profile", Kind.TEXT, "A name for the bank's file, e.g. Sparkasse.", required=True, width=16),
        Field(
            "Field",
            Kind.CHOICE,
            "The field: date, amount, credit, debit, reference, payer, account, transaction_id, currency.",
            required=True,
            choices=(
                "date",
                "amount",
                "credit",
                "debit",
                "reference",
                "payer",
                "account",
                "transaction_id",
                "currency",
            ),
            width=14,
        ),
        Field("Header", Kind.TEXT, "The header text in the bank's file.", required=True, width=24),
    ),
)

PAYER_TYPES = ("Medicare", "Medicaid", "Commercial", "Self")
CLAIM_STATUSES = ("Draft", "Submitted", "Pending", "Denied", "Partially Paid", "Paid", "Appealed", "Closed")

CLAIMS = SheetSpec(
    name="Claims",
    table="tblClaims",
    description="Insurance claims (medical practices): one row per claim sent to a payer.",
    key="Claim ID",
    aliases=("Insurance Claims",),
    when_missing=None,
    fields=(
        Field(
            "Claim ID",
            Kind.ID,
            "The patient control number sent on the claim (an 835's CLP01 names it).",
            required=True,
            aliases=("Claim No", "Claim Number", "Patient Control Number"),
        ),
        Field(
            "Patient Account",
            Kind.ID,
            "The patient's Customer ID on the Customers sheet.",
            required=True,
            aliases=("Customer ID", "Account", "Patient ID", "Account Number", "Patient Account Number", "Acct No"),
        ),
        Field(
            "Payer",
            Kind.TEXT,
            "The insurer, as on the Payers sheet.",
            required=True,
            aliases=("Insurer", "Insurance", "Insurance Company", "Primary Insurance", "Carrier"),
        ),
        Field("Payer Type", Kind.CHOICE, "Medicare, Medicaid, Commercial or Self.", choices=PAYER_TYPES, width=12),
        Field(
            "Member ID",
            Kind.ID,
            "The patient's member (or Medicare) number.",
            aliases=(
                "Member No",
                "Subscriber ID",
                "Member Number",
                "Policy Number",
                "Policy No",
                "Insurance ID",
                "MBI",
            ),
        ),
        Field(
            "Date of Service",
            Kind.DATE,
            "When the service was given.",
            aliases=("DOS", "Service Date", "DOS From", "Service From"),
            width=12,
        ),
        Field(
            "Procedure Codes",
            Kind.TEXT,
            "CPT/HCPCS codes, e.g. 99213; 93000.",
            aliases=("CPT", "Procedures", "CPT Codes", "HCPCS", "CPT HCPCS"),
            width=18,
        ),
        Field(
            "Billed",
            Kind.MONEY,
            "What was billed to the payer.",
            aliases=("Charge", "Billed Amount", "Charges", "Total Charge", "Billed Charges"),
        ),
        Field("Allowed", Kind.MONEY, "What the payer allows.", aliases=("Allowed Amount", "Allowed Amt")),
        Field(
            "Insurance Paid",
            Kind.MONEY,
            "What the payer paid.",
            aliases=("Paid", "Payer Paid", "Ins Paid", "Insurance Payment", "Plan Paid"),
        ),
        Field(
            "Patient Responsibility",
            Kind.MONEY,
            "What the patient owes after insurance (deductible, coinsurance, copay).",
            aliases=("Patient Resp", "PR", "Pt Resp", "Pt Responsibility", "Patient Portion", "Patient Owes"),
        ),
        Field(
            "Status",
            Kind.CHOICE,
            "Where the claim stands.",
            choices=CLAIM_STATUSES,
            aliases=("Claim Status",),
            width=13,
        ),
        Field(
            "Submitted Date",
            Kind.DATE,
            "When it was sent to the payer.",
            aliases=("Submitted", "Date Submitted", "Date Sent", "Filed Date"),
            width=12,
        ),
        Field("Denial Date", Kind.DATE, "When the payer denied it.", width=12),
        Field(
            "Denial Codes",
            Kind.TEXT,
            "The payer's codes, e.g. CO-16; N14 (values only).",
            aliases=("Reason Codes", "Adjustment Codes", "CARC"),
            width=16,
        ),
        Field(
            "Preauth Number",
            Kind.TEXT,
            "The preauthorization's reference.",
            aliases=("Prior Auth", "Auth No", "Auth Number", "Authorization Number", "Prior Auth Number"),
        ),
        Field(
            "Preauth Status",
            Kind.TEXT,
            "Needed, Requested, Approved, Denied ...",
            aliases=("Auth Status", "Authorization Status"),
            width=12,
        ),
        Field("Appeal Date", Kind.DATE, "When the appeal was sent.", width=12),
        Field("Notes", Kind.TEXT, "Anything else; never printed on letters.", aliases=("Note", "Comments"), width=24),
    ),
)

PAYERS = SheetSpec(
    name="Payers",
    table="tblPayers",
    description="Insurers: their deadlines and where appeals go.",
    key="Payer",
    aliases=("Insurers",),
    when_missing=None,
    fields=(
        Field("Payer", Kind.TEXT, "The insurer's name, as on Claims.", required=True, width=24),
        Field("Payer ID", Kind.ID, "The payer's electronic ID (an 835's REF*2U or N1*PR).", aliases=("Payer No",)),
        Field(
            "Timely Filing Days",
            Kind.INTEGER,
            "Days after the date of service a claim may be filed (Medicare: 12 months).",
            aliases=("Filing Days", "Timely Filing", "Filing Limit"),
            width=12,
        ),
        Field(
            "Appeal Window Days",
            Kind.INTEGER,
            "Days after a denial an appeal may be filed (Medicare redetermination: 120).",
            aliases=("Appeal Days", "Appeal Limit", "Appeal Window"),
            width=12,
        ),
        Field("Appeals Address", Kind.TEXT, "Where appeal letters go.", aliases=("Address",), width=34),
    ),
)

DENIAL_CODES = SheetSpec(
    name="DenialCodes",
    table="tblDenialCodes",
    description="The payer codes your practice meets, in your own words (X12's descriptions are not shipped): a code "
    "not here shows as the bare code.",
    key="Code",
    aliases=("Denial Codes", "Reason Codes"),
    when_missing=None,
    fields=(
        Field("Code", Kind.ID, "A claim adjustment reason or remark code, e.g. 16, CO-16, N14.", required=True),
        Field("Meaning", Kind.TEXT, "What it means, from your payer manuals.", width=40),
        Field("Action", Kind.TEXT, "What to do about it.", width=40),
    ),
)

INPUT_SHEETS: tuple[SheetSpec, ...] = (
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    ADJUSTMENTS,
    FEE_POLICIES,
    RATE_TABLE,
    DUNNING_LEVELS,
    PAYMENT_PLANS,
    PLAN_INSTALLMENTS,
    PAYER_ALIASES,
    IMPORT_PROFILES,
    CLAIMS,
    PAYERS,
    DENIAL_CODES,
)

SETTINGS_SHEET = "Settings"
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "Company Name",
        Kind.TEXT,
        "Your company's name, printed on every letter.",
        required=True,
        aliases=("Company", "Business Name"),
    ),
    SettingSpec(
        "Company Address",
        Kind.TEXT,
        "Postal address on the letterhead (use commas between lines).",
        aliases=("Address",),
    ),
    SettingSpec("Company Phone", Kind.TEXT, "Phone on the letterhead.", aliases=("Phone",)),
    SettingSpec("Company Email", Kind.EMAIL, "E-mail on the letterhead and as sender.", aliases=("Email",)),
    SettingSpec(
        "Payment Instructions",
        Kind.TEXT,
        "How to pay: bank account, payee, reference to quote.",
        aliases=("Remit To", "Bank Details"),
    ),
    SettingSpec(
        "Default Currency",
        Kind.CURRENCY,
        "Currency for rows that leave Currency blank.",
        default="USD",
        required=True,
        aliases=("Currency",),
    ),
    SettingSpec(
        "Default Terms",
        Kind.INTEGER,
        "Days to pay when a customer has no Payment Terms.",
        default=30,
        required=True,
        aliases=("Payment Terms", "Terms"),
    ),
    SettingSpec(
        "Locale", Kind.TEXT, "Language and country for money and dates on letters, e.g. en_US, de_DE.", default="en_US"
    ),
    SettingSpec(
        "Date Order",
        Kind.CHOICE,
        "How text dates such as 3/4/2025 are read. Auto: by the column's own dates (13/4/2025 can only be day "
        "first), else by a Locale other than en_US, else not at all (one finding for the column). MDY, DMY: every "
        "such date in that order. YMD: two-digit years first (25/03/31).",
        default="Auto",
        choices=("Auto", "MDY", "DMY", "YMD"),
    ),
    SettingSpec(
        "As-of Date",
        Kind.DATE,
        "The date balances are computed for; blank = today.",
        aliases=("As Of", "As Of Date", "Report Date"),
    ),
    SettingSpec(
        "Match Tolerance",
        Kind.NUMBER,
        "How far short of what it pays a bank payment may be (a bank fee, an early-payment discount) and still pay "
        "the invoices its reference names; what is short stays open.",
        default=10.0,
    ),
    SettingSpec(
        "Match Tolerance %",
        Kind.NUMBER,
        "The same as a percent of the payment; the larger of the two counts.",
        default=1.0,
    ),
    SettingSpec(
        "Plan Misses Allowed",
        Kind.INTEGER,
        "Missed installments that break a payment plan: once this many are missed, reminders and late fees resume.",
        default=2,
    ),
    SettingSpec(
        "Plan Reminder Days",
        Kind.INTEGER,
        "Days before an installment's due date that its reminder letter goes out (billing letters --kind plan).",
        default=7,
    ),
    SettingSpec(
        "Promise Grace Days",
        Kind.INTEGER,
        "Days after a Promise To Pay date before an unkept promise counts as broken.",
        default=3,
    ),
    SettingSpec(
        "Claims Days Ahead",
        Kind.INTEGER,
        "Days ahead `billing claims` looks for filing and appeal deadlines coming due.",
        default=14,
    ),
    SettingSpec("Output Folder", Kind.TEXT, "Where letters are written, relative to the workbook.", default="letters"),
    SettingSpec(
        "File Name Pattern",
        Kind.TEXT,
        "Names of letter files: {kind}, {customer_id}, {date}, {level}, {reference}, {invoice}; "
        "{customer_name} only if you choose to.",
        default="{kind}_{customer_id}_{date}",
    ),
    SettingSpec(
        "Templates Folder",
        Kind.TEXT,
        "Your own letter templates, relative to the workbook; blank = the templates shipped with the add-in.",
    ),
    SettingSpec("Logo Path", Kind.TEXT, "A PNG or JPEG printed on the letterhead, relative to the workbook."),
    SettingSpec(
        "PDF Engine",
        Kind.CHOICE,
        "How PDFs are made: Auto finds LibreOffice or Word.",
        default="Auto",
        choices=("Auto", "LibreOffice", "Word", "None"),
    ),
    SettingSpec("Backups To Keep", Kind.INTEGER, "How many timestamped backups of the workbook to keep.", default=5),
    SettingSpec(
        "Record User Name",
        Kind.CHOICE,
        "Yes: the Audit sheet records who ran each command.",
        default="No",
        choices=("Yes", "No"),
    ),
    SettingSpec(
        "Default Fee Policy",
        Kind.TEXT,
        "The FeePolicies policy for customers that name none; blank or Exempt: no late fees.",
    ),
    SettingSpec(
        "Auto Apply Credits",
        Kind.CHOICE,
        "Yes: unapplied credit settles a customer's open and later invoices by itself; No: it waits.",
        default="Yes",
        choices=("Yes", "No"),
    ),
    SettingSpec(
        "Aging Buckets",
        Kind.TEXT,
        "Upper bounds in days of the overdue buckets, e.g. 30, 60, 90 gives 1-30, 31-60, 61-90, 91+.",
        default="30, 60, 90",
    ),
    # E-mail (`billing send`). The password is never kept in the book: only the name of the environment
    # variable that holds it, so a copied or shared workbook does not leak it.
    SettingSpec(
        "SMTP Host",
        Kind.TEXT,
        "Your outgoing mail server, e.g. smtp.office365.com; blank: no e-mail.",
        aliases=("SMTP Server", "Mail Server"),
    ),
    SettingSpec("SMTP Port", Kind.INTEGER, "The mail server's port: 587 with STARTTLS, 465 for SSL, 25.", default=587),
    SettingSpec(
        "SMTP STARTTLS",
        Kind.CHOICE,
        "Yes: encrypt the connection with STARTTLS before logging in (leave Yes unless IT says otherwise).",
        default="Yes",
        choices=("Yes", "No"),
    ),
    SettingSpec("SMTP User", Kind.TEXT, "The user name to log in to the mail server; blank: no login."),
    SettingSpec(
        "SMTP Password Variable",
        Kind.TEXT,
        "The name of the environment variable that holds the mail password (never the password itself).",
        default="BILLING_SMTP_PASSWORD",
    ),
    SettingSpec(
        "Email From",
        Kind.EMAIL,
        "The sender address of e-mailed letters; blank = Company Email.",
        aliases=("From Address", "Sender Email"),
    ),
)


def setting_spec(name: str) -> SettingSpec | None:
    key = normalize_header(name)
    for s in SETTINGS:
        if key == normalize_header(s.name) or key in {normalize_header(a) for a in s.aliases}:
            return s
    return None


# Sheets the add-in owns and re-writes whole; a user's edits there are replaced.
BANK_IMPORT_SHEET = "Bank Import"
REMITTANCE_SHEET = "Remittance"  # every 835 claim imported, what it posts, and when it was posted
CLAIMS_WORKLIST_SHEET = "ClaimsWorklist"
OWNED_SHEETS = (
    "Findings",
    "Audit",
    "Letters",
    "Balances",
    "Aging",
    "Dunning",
    "Dashboard",
    "PlanSchedule",
    BANK_IMPORT_SHEET,
    REMITTANCE_SHEET,
    CLAIMS_WORKLIST_SHEET,
)
# Owned sheets whose earlier rows matter (logs): the reader keeps their raw rows.
LOG_SHEETS = ("Audit", "Letters", BANK_IMPORT_SHEET, REMITTANCE_SHEET)
INSTRUCTIONS_SHEET = "Instructions"
