"""The one error a clerk may see from the writer."""

from __future__ import annotations


class WriteRefused(Exception):
    """The workbook was not written. The message is one clear line: what is wrong and how to fix it."""
