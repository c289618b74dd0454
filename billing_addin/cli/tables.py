"""Tables for the terminal that never cut a number.

rich shrinks a table that is wider than the console by cutting its cells with "…", and as a last resort
narrows every column evenly, down to nothing: `13,699,759.25` came out as `13,699…`, a customer ID as
`5119…`, a column of fees not at all. Here each column is either a value (money, a date, an ID, a cell
reference, a file name: never broken, never cut) or text (reasons, messages: wrapped at spaces). The widths
are worked out here, not by rich:

- values get their longest cell's width, text the room that is left (at least a few words' worth; a word
  in the text longer than its column, over 30 characters, is folded onto the next line, never cut);
- when even that does not fit, a terminal shows each row as a short list of "Header: value" lines, and any
  other output (a pipe, a file) gets the table wider than the console: nothing is lost, and a value is never
  split across lines.

A cell is plain text (a string, shown exactly as it is: no markup) or a rich `Text` for colour.
rich is imported only when a table is shown: a run printing JSON never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TEXT_MIN = 12  # a text column is not made narrower than this (or its longest word, up to TEXT_WORD_MAX)
TEXT_WORD_MAX = 30
TEXT_WIDE = 40  # a table wider than the console anyway gives its text columns this much (or what they need)


@dataclass(frozen=True)
class Col:
    """A column: its header, whether it holds values that must stay whole, and how they are justified."""

    header: str
    value: bool = True  # money, date, ID, cell, file name: never broken or cut
    justify: str = "left"


def text(header: str) -> Col:
    """A column of prose (reasons, messages): wrapped to fit."""
    return Col(header, value=False)


def money(header: str) -> Col:
    return Col(header, value=True, justify="right")


def _cells(row: Sequence[object]):
    from rich.text import Text

    return [c.copy() if isinstance(c, Text) else Text("" if c is None else str(c)) for c in row]


def _longest_line(t) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in t.plain.split("\n")), default=0)


def _longest_word(t) -> int:
    from rich.cells import cell_len

    return max((cell_len(word) for word in t.plain.split()), default=0)


def widths(columns: Sequence[Col], rows: list[list], room: int) -> tuple[list[int], bool]:
    """The width of each column (without padding) and whether the table fits in `room` cells (borders
    and padding included). Value columns always get their longest cell. Text columns start at their
    longest line and, while the table is too wide, the widest of them gives up a cell (as rich does, but
    never below a few words' width): short texts stay on one line, the longest wraps."""
    from rich.cells import cell_len

    n = len(columns)
    frame = (n + 1) + 2 * n  # the box's verticals and one space of padding each side of every cell
    natural, least = [], []
    for i, col in enumerate(columns):
        cells = [r[i] for r in rows]
        longest = max([cell_len(col.header), *(_longest_line(c) for c in cells)])
        natural.append(longest)
        if col.value:
            least.append(longest)
        else:
            word = max([_longest_word(c) for c in cells] + [max(map(cell_len, col.header.split()), default=0)])
            least.append(min(longest, max(TEXT_MIN, min(word, TEXT_WORD_MAX))))
    if frame + sum(least) > room:  # wider than the console whatever is done: give the text room to be read
        return [
            w if col.value else max(w, min(natural[i], TEXT_WIDE)) for i, (col, w) in enumerate(zip(columns, least))
        ], False
    out = list(natural)
    excess = frame + sum(out) - room
    while excess > 0:
        widest = max((i for i in range(n) if out[i] > least[i]), key=lambda i: out[i])
        out[widest] -= 1
        excess -= 1
    return out, True


def show_table(console, columns: Sequence[Col], rows: Iterable[Sequence[object]], title: str | None = None) -> None:
    """Print `rows` under `columns` on `console` (a rich Console), never cutting a value; see the module."""
    from rich.table import Table

    cells = [_cells(r) for r in rows]
    if title is not None:
        console.print(title, markup=False, highlight=False, soft_wrap=True)
    room = max(console.width, 1)
    sizes, fits = widths(columns, cells, room)
    if not fits and console.is_terminal:
        _show_records(console, columns, cells, room)
        return
    table = Table(show_header=True, header_style="bold", width=sum(sizes) + 3 * len(columns) + 1)
    for col, size in zip(columns, sizes):
        table.add_column(col.header, width=size, no_wrap=col.value, overflow="fold", justify=col.justify)
    for row in cells:
        table.add_row(*row)
    console.print(table, crop=False, soft_wrap=True)  # wider than the console only when it must be: never cropped


def _show_records(console, columns: Sequence[Col], cells: list[list], room: int) -> None:
    """Each row as a few lines for a terminal too narrow for the table: the first column's header and value,
    then "Header: value" for the others. Values stay whole on their line; text wraps at spaces, and a word
    longer than the line is left whole (the line runs over rather than break it)."""
    from rich.cells import cell_len
    from rich.text import Text

    label = max((cell_len(c.header) for c in columns[1:]), default=0) + 2
    for n, row in enumerate(cells):
        if n:
            console.print("", soft_wrap=True)
        for k, (col, cell) in enumerate(zip(columns, row)):
            if k and not cell.plain.strip():
                continue
            name = f"{col.header}: " if col.header else ""
            head = Text(name if k == 0 else "  " + name.ljust(label), style="bold")
            width = max(room - cell_len(head.plain), 8)
            lines = [cell] if col.value else _wrapped(cell, width)
            pad = Text(" " * cell_len(head.plain))
            for j, line in enumerate(lines):
                console.print((head if j == 0 else pad) + line, soft_wrap=True, highlight=False)


def _wrapped(cell, width: int) -> list:
    """Prose wrapped at spaces to `width`; a word longer than that (an ID in a message) stays whole on a line
    of its own, running over rather than broken."""
    import textwrap

    from rich.text import Text

    lines = []
    for paragraph in cell.plain.split("\n"):
        lines += textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False) or [""]
    return [Text(line, style=cell.style) for line in lines]
