"""Billing add-in: validate a billing workbook, compute what is owed, write letters.

The Python API (billing_addin.frames) gives a workbook's figures as pandas DataFrames:

    import billing_addin
    frames = billing_addin.open_book("billing.xlsx").frames()

`open_book`, `OpenBook`, `Frames` and `FiguresStopped` are imported from billing_addin.frames when first
used, so that `import billing_addin` (as the Excel functions do) never loads pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["FiguresStopped", "Frames", "OpenBook", "__version__", "open_book"]
_FRAMES_API = frozenset({"FiguresStopped", "Frames", "OpenBook", "open_book"})  # from billing_addin.frames

if TYPE_CHECKING:
    from billing_addin.frames import FiguresStopped, Frames, OpenBook, open_book


def __getattr__(name: str):
    if name in _FRAMES_API:
        from importlib import import_module

        return getattr(import_module("billing_addin.frames"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FRAMES_API})
