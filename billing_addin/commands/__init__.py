"""User actions, one module each, shared by the command line, the ribbon and the UDFs:
(loaded book, as_of, options) -> Result.

A command never writes. It returns findings, a Patch of what should be written into the workbook, typed
records (Result.data) and counts; the shell (the file writer, or xlwings in Excel) applies the patch.
"""

from billing_addin.commands.dunning_preview import dunning
from billing_addin.commands.era import import_era, post_era
from billing_addin.commands.figures import refresh
from billing_addin.commands.late_fees import fees
from billing_addin.commands.result import Result, audit_sheet, findings_sheet, loaded_at, stopped
from billing_addin.commands.statement_of_account import statement
from billing_addin.commands.validation import validate
from billing_addin.loader import LoadedBook, check_book, load, resolve_as_of

__all__ = [
    "LoadedBook",
    "Result",
    "audit_sheet",
    "check_book",
    "dunning",
    "fees",
    "import_era",
    "post_era",
    "findings_sheet",
    "load",
    "loaded_at",
    "refresh",
    "resolve_as_of",
    "statement",
    "stopped",
    "validate",
]
