"""Billing add-in: validate a billing workbook, compute what is owed, write letters."""

__version__ = "0.1.0"
