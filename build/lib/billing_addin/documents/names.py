"""File names for letters: from the File Name Pattern setting, always safe to use as one file name.

By default a name carries the letter kind, the Customer ID and the date, never a person's name: file names
turn up in folder listings, e-mail attachments and logs that the letter itself never reaches.
"""

from __future__ import annotations

import re
import string
import unicodedata

DEFAULT_PATTERN = "{kind}_{customer_id}_{date}"
PLACEHOLDERS = ("kind", "customer_id", "date", "level", "reference", "invoice", "customer_name")
MAX_STEM = 100  # leaves room for the folder, a "_2" and ".docx" within Windows' 260 characters
# Names Windows keeps for devices, whatever the extension: CON.pdf cannot be created there.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
UNSAFE = re.compile(r"[^\w.\-]+")


class PatternError(ValueError):
    """The File Name Pattern cannot be used; the message says why and how to fix it."""


def check_pattern(pattern: str) -> None:
    """Raise PatternError when the pattern names an unknown placeholder or is not a pattern at all."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as e:
        raise PatternError(f"File Name Pattern {pattern!r} is not a pattern ({e}).") from e
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown:
        raise PatternError(
            f"File Name Pattern {pattern!r} uses {{{unknown[0]}}}, which letters do not have. "
            f"Use any of {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."
        )
    if not fields:
        raise PatternError(
            f"File Name Pattern {pattern!r} has no placeholder, so every letter would get the same name."
        )


def safe_stem(text: str) -> str:
    """`text` as one file name without extension, safe on Windows, macOS and Linux: no separators, no
    traversal, no reserved device names, no leading dots or trailing spaces, at most MAX_STEM characters.

    >>> safe_stem("../C:/O'Brien & Sons")
    'C_O_Brien_Sons'
    """
    text = unicodedata.normalize("NFKC", text)
    stem = re.sub(r"\.{2,}", "_", UNSAFE.sub("_", text)).strip("._ ")  # no ".." anywhere, even harmless
    stem = re.sub(r"_{2,}", "_", stem)[:MAX_STEM].rstrip("._ ")
    if not stem:
        stem = "letter"
    if stem.split(".")[0].casefold() in RESERVED:
        stem = "_" + stem
    return stem


def letter_stem(pattern: str, **values: object) -> str:
    """The file name (without extension) for one letter; values fill the pattern's placeholders."""
    filled = {k: "" if values.get(k) is None else str(values.get(k)) for k in PLACEHOLDERS}
    return safe_stem(pattern.format(**filled))


class NameBook:
    """Hands out stems that are unique in this batch and not taken by files already in the folder
    (a letter made earlier is never overwritten)."""

    def __init__(self, taken: set[str]):
        self.taken = {t.casefold() for t in taken}

    def claim(self, stem: str) -> str:
        candidate, n = stem, 1
        while candidate.casefold() in self.taken:
            n += 1
            candidate = f"{stem}_{n}"
        self.taken.add(candidate.casefold())
        return candidate
