"""A line of a bank statement or a payment processor's payout, as every file format is read into (bank/).

Money in cents: a credit (money in) is positive, a debit negative. `reference` holds what the bank shows to match
on (reference, description, memo joined); `payer` the counterparty's name and `account` its account or IBAN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BankLine:
    line: int  # 1-based position in its file (the data row of a CSV, the n-th transaction of an OFX/camt/MT940)
    date: dt.date  # booking date (value date when that is all the file has)
    amount: int  # cents: + money in, - money out; for a processor payout, the gross the customer paid
    currency: str | None
    reference: str = ""
    payer: str = ""
    account: str = ""
    transaction_id: str | None = None  # the bank's or processor's own id, when the file has one
    fee: int = 0  # cents a processor kept (Stripe, PayPal, Square): the invoice is paid gross, the fee is an adjustment
    source: str = ""  # the file's name, for messages

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    @property
    def key(self) -> str:
        """What makes a line the same line in two files: the transaction id, else date + amount + reference."""
        if self.transaction_id:
            return f"id:{self.transaction_id.strip().casefold()}"
        return f"{self.date.isoformat()}|{self.amount}|{' '.join(self.reference.split()).casefold()}"
