"""Findings: what validation says about a workbook, as data that carries its own cell address."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the user's workbook.

    severity: "error" or "warning"; code: a stable kebab-case name; sheet: the sheet as the user
    named it; cell: A1 address in that sheet ("" when the whole sheet is missing); message: what is
    wrong, in the billing specialist's words; hint: how to fix it.
    """

    severity: str
    code: str
    sheet: str
    cell: str
    message: str
    hint: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def error(code: str, sheet: str, cell: str, message: str, hint: str) -> Finding:
    return Finding(ERROR, code, sheet, cell, message, hint)


def warning(code: str, sheet: str, cell: str, message: str, hint: str) -> Finding:
    return Finding(WARNING, code, sheet, cell, message, hint)


def _cell_sort_key(cell: str) -> tuple[int, int]:
    letters = "".join(c for c in cell if c.isalpha())
    digits = "".join(c for c in cell if c.isdigit())
    col = 0
    for c in letters:
        col = col * 26 + (ord(c.upper()) - 64)
    return (int(digits) if digits else 0, col)


def sort_findings(findings: list[Finding], sheet_order: list[str] | None = None) -> list[Finding]:
    """Errors first, then by sheet (in workbook order), row and column; the same finding once. Ties (such
    as two findings on one cell) go by code, message and hint, so that the order never depends on the
    order the findings were made in."""
    order = {s.casefold(): i for i, s in enumerate(sheet_order or [])}
    return sorted(
        set(findings),
        key=lambda f: (
            f.severity != ERROR,
            order.get(f.sheet.casefold(), len(order)),
            f.sheet,
            _cell_sort_key(f.cell),
            f.code,
            f.message,
            f.hint,
        ),
    )
