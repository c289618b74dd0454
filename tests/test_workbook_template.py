"""The blank billing workbook in workbook_templates/: what `billing new` writes today, and valid but for the
one thing only its owner can fill in."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from conftest import findings_of

from billing_addin.workbook.template import build_template

SHIPPED = Path(__file__).resolve().parents[1] / "workbook_templates" / "billing.xlsx"


def _contents(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: {
            "cells": [list(r) for r in ws.iter_rows(values_only=True)],
            "tables": sorted((t.name, t.ref) for t in ws.tables.values()),
            "validations": sorted((str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
        for ws in wb.worksheets
    }


def test_the_shipped_template_is_what_billing_new_writes(tmp_path):
    fresh = build_template(tmp_path / "new.xlsx")
    assert _contents(SHIPPED) == _contents(fresh), "run `make templates` after changing the schema"


def test_the_blank_template_asks_only_for_the_company_name():
    (only,) = findings_of(SHIPPED)
    assert (only.severity, only.sheet, only.cell, only.message) == (
        "error",
        "Settings",
        "B2",
        "Setting Company Name is missing.",
    )
