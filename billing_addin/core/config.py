"""The configuration sheets, parsed once: fee policies (FeePolicies), reference rates (RateTable over the
sourced ones), dunning levels (DunningLevels, else the defaults) and the Letters log, each with what parsing
found wrong. The loader makes one Config per book; every command and check takes it from there."""

from __future__ import annotations

from dataclasses import dataclass

from billing_addin.core.book import Book
from billing_addin.core.dunning import DunningLevel, levels_from_book
from billing_addin.core.fees import FeePolicy, policies_from_book, policy_name_findings
from billing_addin.core.findings import Finding
from billing_addin.core.letter_log import LETTERS_SHEET, LetterRecord, read_letter_log
from billing_addin.core.statutory import ReferenceRate, rates_from_book


@dataclass(frozen=True)
class Config:
    fee_policies: dict[str, FeePolicy]  # by casefolded name
    rates: tuple[ReferenceRate, ...]
    dunning_levels: tuple[DunningLevel, ...]
    letter_log: tuple[LetterRecord, ...]
    rate_findings: tuple[Finding, ...] = ()
    policy_findings: tuple[Finding, ...] = ()  # FeePolicies rows, and policy names that name no policy
    level_findings: tuple[Finding, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """Everything parsing found, in the order validation lists it: rates, fee policies, dunning levels."""
        return [*self.rate_findings, *self.policy_findings, *self.level_findings]


def read_config(book: Book) -> Config:
    """Parse the book's configuration sheets (none of them is required: each has defaults)."""
    rates, rate_findings = rates_from_book(book)
    policies, policy_findings = policies_from_book(book)
    levels, level_findings = levels_from_book(book)
    return Config(
        fee_policies=policies,
        rates=tuple(rates),
        dunning_levels=tuple(levels),
        letter_log=tuple(read_letter_log(book.owned_rows.get(LETTERS_SHEET, []))),
        rate_findings=tuple(rate_findings),
        policy_findings=(*policy_findings, *policy_name_findings(book, policies)),
        level_findings=tuple(level_findings),
    )
