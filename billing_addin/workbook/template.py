"""The billing workbook template, built from the schema: Excel Tables with dropdowns, formats,
frozen headers and widths, a Settings sheet, and an Instructions sheet with a summary in formulas
that both Excel 2016 and LibreOffice 7.4 evaluate (COUNTA, SUM, SUMIFS over table columns).

This writes a brand-new file, so openpyxl is the right tool here (nothing of the user's can be lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from billing_addin.core.schema import INPUT_SHEETS, INSTRUCTIONS_SHEET, SETTINGS, SETTINGS_SHEET, Kind, SheetSpec
from billing_addin.core.statutory import default_rate_rows

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")

# Summary formulas on the Instructions sheet: (label, formula). Structured references only, no
# XLOOKUP/LET, so Excel 2016 and LibreOffice 7.4 both evaluate them.
SUMMARY = (
    ("Customers", "=COUNTA(tblCustomers[Customer ID])"),
    ("Invoices", "=COUNTA(tblInvoices[Invoice No])"),
    ("Invoiced (all currencies)", "=SUM(tblInvoices[Amount])"),
    ("Payments received", "=SUM(tblPayments[Amount])"),
    ("Credit notes", '=SUMIFS(tblAdjustments[Amount],tblAdjustments[Type],"Credit Note")'),
    ("Write-offs", '=SUMIFS(tblAdjustments[Amount],tblAdjustments[Type],"Write-off")'),
    ("Late fees charged", '=SUMIFS(tblAdjustments[Amount],tblAdjustments[Type],"Late Fee")'),
)

INSTRUCTIONS = (
    "How to use this workbook",
    "1. Settings: fill in your company name, address, payment instructions, default currency and terms.",
    "2. Customers: one row per customer. Customer ID links everything else.",
    "3. Invoices: one row per invoice. Leave Due Date blank to use the customer's payment terms.",
    "4. Payments: one row per payment. Applied To names the invoice it pays; blank = oldest open invoices first.",
    "5. Adjustments: credit notes, write-offs, refunds, returned payments and late fees.",
    "Type new rows directly under a table: Excel extends the table and its dropdowns for you.",
    "Run `billing validate` (or the Validate button) to find mistakes; the Findings sheet links to each cell.",
    "Sheets the add-in owns (Findings, Audit) are rewritten each run: do not type in them.",
)


def build_template(
    path: str | Path,
    rows: Mapping[str, Sequence[Sequence[object]]] | None = None,
    settings: Mapping[str, object] | None = None,
) -> Path:
    """Write the billing workbook template to `path`. `rows` (sheet name -> rows in schema column
    order) and `settings` fill it with data, which is how the demo workbook is made."""
    rows = rows or {}
    wb = Workbook()
    wb.remove(wb.active)
    _instructions_sheet(wb)
    _settings_sheet(wb, settings or {})
    for spec in INPUT_SHEETS:
        _input_sheet(wb, spec, rows[spec.name] if spec.name in rows else default_rows(spec.name))
    path = Path(path)
    wb.save(path)
    return path


def _style_header(ws, ncols: int) -> None:
    for c in range(1, ncols + 1):
        cell = ws.cell(row=1, column=c)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"


def _validate(ws, rng: str, title: str, error: str, **rule: str) -> None:
    """A dropdown or range rule on `rng` that explains itself when broken."""
    dv = DataValidation(allow_blank=True, showErrorMessage=True, errorTitle=title, error=error, **rule)
    dv.add(rng)
    ws.add_data_validation(dv)


def _input_sheet(wb: Workbook, spec: SheetSpec, data: Sequence[Sequence[object]]) -> None:
    ws = wb.create_sheet(spec.name)
    ws.append([f.name for f in spec.fields])
    for r in data:
        ws.append(list(r))
    last = max(2, len(data) + 1)  # a table needs at least one (possibly empty) data row
    for i, f in enumerate(spec.fields, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = f.width
        header = ws.cell(row=1, column=i)
        header.comment = None
        if f.number_format:
            for row in range(2, last + 1):
                ws.cell(row=row, column=i).number_format = f.number_format
        # Validation reaches well below the table so rows typed later get it too.
        rng = f"{letter}2:{letter}{max(last, 5000)}"
        if f.kind is Kind.CHOICE:
            _validate(
                ws,
                rng,
                f.name,
                "Pick one of: " + ", ".join(f.choices),
                type="list",
                formula1='"' + ",".join(f.choices) + '"',
            )
        elif f.kind is Kind.DATE:
            _validate(
                ws, rng, f.name, "Type a date after 2000-01-01.", type="date", operator="greaterThan", formula1="36526"
            )
        elif f.kind is Kind.MONEY and spec.name != "Adjustments":
            _validate(
                ws, rng, f.name, "Type an amount above zero.", type="decimal", operator="greaterThan", formula1="0"
            )
    ref = f"A1:{get_column_letter(len(spec.fields))}{last}"
    table = Table(displayName=spec.table, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30


def _settings_sheet(wb: Workbook, values: Mapping[str, object]) -> None:
    ws = wb.create_sheet(SETTINGS_SHEET)
    ws.append(["Setting", "Value", "What it means"])
    for s in SETTINGS:
        value = values.get(s.name, s.default)
        ws.append([s.name, value, s.description])
        if s.kind is Kind.DATE:
            ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd"
        if s.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(s.choices) + '"', allow_blank=True)
            dv.add(f"B{ws.max_row}")
            ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 80
    table = Table(displayName="tblSettings", ref=f"A1:C{ws.max_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"


def _instructions_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws["A1"] = INSTRUCTIONS[0]
    ws["A1"].font = Font(bold=True, size=14)
    for i, line in enumerate(INSTRUCTIONS[1:], start=3):
        ws.cell(row=i, column=1, value=line)
    start = len(INSTRUCTIONS) + 4
    ws.cell(row=start, column=1, value="At a glance").font = Font(bold=True, size=12)
    for i, (label, formula) in enumerate(SUMMARY, start=start + 1):
        ws.cell(row=i, column=1, value=label)
        c = ws.cell(row=i, column=2, value=formula)
        c.number_format = "0" if label in ("Customers", "Invoices") else "#,##0.00"
    ws.column_dimensions["A"].width = 100
    ws.column_dimensions["B"].width = 16


def summary_cells() -> dict[str, str]:
    """Label -> cell address of each summary formula on the Instructions sheet (for tests and docs)."""
    start = len(INSTRUCTIONS) + 5
    return {label: f"B{start + i}" for i, (label, _) in enumerate(SUMMARY)}


def default_rows(sheet: str) -> list[list[object]]:
    """What a new workbook starts with on the sheets that configure the add-in (schema column order)."""
    if sheet == "RateTable":
        return [list(r) for r in default_rate_rows()]
    if sheet == "FeePolicies":
        # Policy, Type, Rate, Amount, Grace Days, Minimum Balance, Minimum Fee, Maximum Fee, Frequency,
        # Max Charges, Compound
        return [
            ["Standard", "Recurring Percent", 1.5, None, 10, 25.0, 5.0, None, "Monthly", 12, "No"],
            ["Flat 25", "Flat", None, 25.0, 15, 50.0, None, None, None, None, None],
            ["Interest 8%", "Daily Interest", 8, None, 0, None, None, None, None, None, None],
            ["Statutory EU", "Statutory EU", 8, None, 0, None, None, None, None, None, None],
            ["Statutory UK", "Statutory UK", 8, None, 0, None, None, None, None, None, None],
        ]
    if sheet == "DunningLevels":
        # Level, Days Past Due, Letter Template, Fee Policy, Min Balance, Days Since Previous
        return [
            [1, 7, "reminder.docx", None, 10.0, 0],
            [2, 30, "past_due.docx", None, 10.0, 14],
            [3, 60, "final_notice.docx", None, 10.0, 14],
        ]
    return []
