"""Payments in: bank statements and processor payouts read into BankLines (billing_addin.core.bank_lines).

read_statement(path, profile=None) -> Statement reads CSV from any bank, the Stripe, PayPal and Square exports,
OFX/QFX, camt.052/053/054 and MT940, the format found from the file's content. Anything it cannot read exactly is a
BankFileError (a ValueError) with one message for the clerk. Matching the lines to invoices is not done here.
"""

from billing_addin.bank.read import detect, read_statement
from billing_addin.bank.statement import FORMATS, BankFileError, Statement

__all__ = ["FORMATS", "BankFileError", "Statement", "detect", "read_statement"]
