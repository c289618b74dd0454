"""Memory tricks of the `billing` program, never of code that Excel's long-lived Python runs: pausing the
cyclic garbage collector while a command builds many long-lived objects, and exiting without freeing them.

Reading a big book and replaying its ledger make millions of small objects (cells, invoices, events)
that live as long as the command. Each time enough of them pile up, the collector walks all of them
again looking for cycles it never finds: measured at about half of `billing refresh` on 100k invoices.
Nothing here makes reference cycles, so pausing the collector frees nothing late; reference counting
frees everything as usual.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block. On the way out, what survived is moved out of the
    collector's sight (gc.freeze), so that the first collection afterwards does not walk it all."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


# What the `billing` program exits with rather than frees (see cli.app.run); None when main() is called from Python.
_kept_until_exit: list | None = None


def keep_until_exit(*objects: object) -> None:
    """Hold a command's big objects (the book, a result with its ledger) until the program exits, so that
    they are not freed one by one when the command returns."""
    if _kept_until_exit is not None:
        _kept_until_exit.extend(objects)


def exit_now(code: int) -> None:
    """Flush the output and leave the process at once: a big book leaves millions of objects behind, and
    freeing them one by one, when the command returns and at interpreter exit, takes a few tenths of a
    second that help no one."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a reader that went away (`| head`): nothing more to say to it
            pass
    os._exit(code)


def start_keeping() -> None:
    global _kept_until_exit
    _kept_until_exit = []
