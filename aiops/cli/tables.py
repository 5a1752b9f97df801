"""Tables a person reads at 80 columns, with every piece of outside data escaped by construction.

One mechanism for every table the CLI prints: a :class:`Grid` of typed columns whose cells
become :class:`rich.text.Text` (never parsed as markup, so ``[q[sl] for sl in x]`` stays as
it is), laid out at render time for the terminal it lands on:

- ``id`` columns (URLs, incident and silence IDs, alert, playbook and logger names, correlation
  IDs) are never broken: they get the width of their longest value;
- ``num``, ``word`` and ``time`` columns do not wrap either (``time`` shows a datetime relative
  to now, "3m ago" or "in 2m"; JSON keeps it absolute);
- ``text`` columns (messages, reasons, summaries) take what is left and fold at word boundaries;
- ``spark`` columns hold a :class:`Sparkline`, drawn for the width the column gets;
- ``wide`` columns (PromQL, labels, sample IDs) appear only with ``-o wide``.

No column is ever rendered zero-width: when even the minimum widths do not fit, the columns
marked ``optional`` drop out first (a note says ``-o wide`` shows them), and only then may
identifiers fold. Headings and captions are separate lines that wrap at the terminal's width.

    grid = Grid(Column("target", "id"), Column("verdict", "word"), Column("reasons"),
                title=heading(("3 targets", "bold"), ": 1 unhealthy"), wide=wide)
    grid.row(url, styled(verdict, "red"), "\\n".join(reasons))
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Iterator

from aiops.core.units import duration

KINDS = ("id", "text", "num", "word", "time", "spark")
TEXT_MIN = 16  # a free-text column narrower than this reads as a column of fragments
TEXT_FLOOR = 10  # ... but when nothing else fits, free text narrows this far before IDs fold
GAP = 2  # columns are separated by right padding and a space


@dataclass
class Column:
    """One column: ``kind`` is one of :data:`KINDS`; ``wide`` columns show only with -o wide;
    ``optional`` ones are the first to go when even the minimum widths do not fit."""

    name: str
    kind: str = "text"
    wide: bool = False
    optional: bool = False
    justify: str | None = None
    min_width: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column kind {self.kind!r}: one of {', '.join(KINDS)}")


class _Now:
    """The clock relative times are measured from (tests freeze it with :func:`frozen_now`)."""

    fixed: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        return self.fixed or dt.datetime.now(dt.timezone.utc)


now = _Now()


class frozen_now:
    """``with frozen_now(when):`` relative times are measured from ``when``."""

    def __init__(self, when: dt.datetime) -> None:
        self.when, self.saved = when, None

    def __enter__(self) -> dt.datetime:
        self.saved, now.fixed = now.fixed, self.when
        return self.when

    def __exit__(self, *exc: Any) -> None:
        now.fixed = self.saved


def relative(when: dt.datetime | None, at: dt.datetime | None = None) -> str:
    """``when`` relative to now (or ``at``): "3m ago", "in 2m", "now"; "-" for None."""
    if when is None:
        return "-"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    delta = (when - (at or now())).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {duration(delta)}" if delta > 0 else f"{duration(delta)} ago"


def fmt(value: float | None) -> str:
    """A number the way a person reads it: 4 significant digits, NaN and Inf spelled out."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def plain(value: Any) -> str:
    """Any cell value as text a person reads (never a Python repr): None is "-", a bool
    "yes"/"no", a list "a, b", a dict "k=v, k=v", a float 4 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt(value)
    if isinstance(value, dt.datetime):
        return relative(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def text(value: Any, style: str | None = None) -> Any:
    """``value`` as a rich Text: outside data is shown as it is, never read as markup."""
    from rich.text import Text

    if isinstance(value, Text):
        if style:
            value = value.copy()
            value.stylize(style)
        return value
    return Text(plain(value), style=style or "")


styled = text


def heading(*parts: Any) -> Any:
    """A line of text from parts: a string, or a ``(text, style)`` pair; none is markup."""
    from rich.text import Text

    return Text.assemble(*((plain(p[0]), p[1]) if isinstance(p, tuple) else plain(p) for p in parts))


def lines(*items: Any) -> Any:
    """Several values (or Text) as one multi-line cell; empty ones are left out."""
    from rich.text import Text

    return Text("\n").join(text(i) for i in items if i not in (None, ""))


BARS = "▁▂▃▄▅▆▇█"


def resample(values: list[float], width: int) -> list[float]:
    """``values`` in at most ``width`` cells: each cell the mean of its equal share of the
    points (NaN when all of them are NaN), so the first cell starts the window and the last
    ends it with the newest point."""
    if width < 1:
        return []
    if len(values) <= width:
        return list(values)
    cells = []
    for i in range(width):
        lo, hi = i * len(values) // width, (i + 1) * len(values) // width
        chunk = [v for v in values[lo:max(hi, lo + 1)] if math.isfinite(v)]
        cells.append(sum(chunk) / len(chunk) if chunk else math.nan)
    return cells


def spark(values: list[float], width: int = 48) -> str:
    """Unicode bars for ``values`` resampled to at most ``width`` cells; a space for a gap (NaN)."""
    cells = resample(values, width)
    finite = [v for v in cells if math.isfinite(v)]
    if not finite:
        return " " * len(cells)
    low, high = min(finite), max(finite)
    span = high - low
    return "".join(" " if not math.isfinite(v) else
                   BARS[0 if span == 0 else min(len(BARS) - 1, int((v - low) / span * len(BARS)))]
                   for v in cells)


class Sparkline:
    """A sparkline that covers the whole window at whatever width it is given (at most one cell
    per point), newest point last."""

    def __init__(self, values: list[float], style: str = "") -> None:
        self.values, self.style = list(values), style

    @property
    def plain(self) -> str:  # at its natural width: a cell per point, up to 100
        return spark(self.values, min(len(self.values), 100))

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.text import Text

        yield Text(spark(self.values, options.max_width), style=self.style, no_wrap=True)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(min(len(self.values), 8), min(len(self.values), options.max_width))


class Indented:
    """A cell's text with every line, folded ones too, indented (a row's details on the rows
    below it)."""

    def __init__(self, value: Any, indent: int = 2, style: str | None = None) -> None:
        self.text, self.indent = text(value, style), indent

    @property
    def plain(self) -> str:
        return "\n".join(" " * self.indent + line for line in self.text.plain.split("\n"))

    def _padded(self) -> Any:
        from rich.padding import Padding

        return Padding(self.text, (0, 0, 0, self.indent))

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        yield self._padded()

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement.get(console, options, self._padded())


def _width(value: Any) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in value.plain.split("\n")), default=0)


class Grid:
    """A table laid out for the terminal it is printed on (see the module docstring)."""

    def __init__(self, *columns: Column, title: Any = None, caption: Any = None,
                 wide: bool = False, separate_rows: bool = False) -> None:
        self.columns = list(columns)
        self.title, self.caption, self.wide = title, caption, wide
        self.separate_rows = separate_rows
        self.rows: list[list[Any]] = []

    def row(self, *cells: Any) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([c if isinstance(c, (Sparkline, Indented)) else text(c) for c in cells])

    def __len__(self) -> int:
        return len(self.rows)

    def visible(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if self.wide or not c.wide]

    def layout(self, max_width: int) -> tuple[list[int], list[int]]:
        """(visible column indexes, their widths) for ``max_width`` terminal columns.

        Natural widths when they fit; else every column at its minimum and the free-text
        columns share what is left in proportion to what they would like. When even the
        minimums do not fit: optional columns drop out, then free text narrows to
        :data:`TEXT_FLOOR`, and only then do identifiers fold (never below their header).
        """
        show = self.visible()
        natural = {i: _natural(self, i) for i in show}
        if self.wide:
            return show, [max(natural[i], 1) for i in show]
        header = {i: max(len(w) for w in self.columns[i].name.split()) for i in show}

        def minimum(i: int) -> int:
            c = self.columns[i]
            if c.kind in ("text", "spark"):
                return max(header[i], min(natural[i], c.min_width or (TEXT_MIN if c.kind == "text" else 8)))
            return natural[i]

        optional = [i for i in reversed(show) if self.columns[i].optional]
        mins = {i: minimum(i) for i in show}
        room = max_width - GAP * (len(show) - 1)
        while sum(mins.values()) > room and optional:
            dropped = optional.pop(0)
            show.remove(dropped)
            del mins[dropped]
            room = max_width - GAP * (len(show) - 1)
        if sum(natural[i] for i in show) <= room:
            return show, [max(natural[i], 1) for i in show]
        widths = dict(mins)
        for kind, floor in (("spark", 8), ("text", TEXT_FLOOR), ("id", 0), ("word", 0), ("num", 0), ("time", 0)):
            excess = sum(widths.values()) - room
            for i in sorted((i for i in show if self.columns[i].kind == kind), key=lambda i: -widths[i]):
                if excess <= 0:
                    break
                cut = max(0, min(excess, widths[i] - max(header[i], floor, 1)))
                widths[i] -= cut
                excess -= cut
        spare = room - sum(widths.values())
        growable = {i: natural[i] - widths[i] for i in show if self.columns[i].kind in ("text", "spark")
                    and natural[i] > widths[i]}
        total = sum(growable.values())
        if spare > 0 and total:
            for i, want in growable.items():
                widths[i] += min(want, spare * want // total)
            leftover = room - sum(widths.values())
            for i in sorted(growable, key=lambda i: -growable[i]):  # the integer remainders
                add = max(0, min(leftover, natural[i] - widths[i]))
                widths[i] += add
                leftover -= add
        return show, [max(widths[i], 1) for i in show]

    def natural_width(self) -> int:
        show, widths = self.layout(10**6)
        return sum(widths) + GAP * (len(show) - 1)

    def table(self, max_width: int) -> Any:
        """The rich Table for ``max_width`` columns."""
        from rich import box
        from rich.table import Table

        show, widths = self.layout(max_width)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold", padding=(0, 1, 0, 0),
                      show_lines=self.separate_rows, expand=False)
        for i, width in zip(show, widths):
            c = self.columns[i]
            fixed = c.kind not in ("text", "spark")
            table.add_column(c.name, width=width, no_wrap=fixed and width >= _natural(self, i),
                             overflow="fold", justify=c.justify or ("right" if c.kind == "num" else "left"))
        for r in self.rows:
            table.add_row(*(r[i] for i in show))
        return table

    def hidden(self, max_width: int) -> list[str]:
        """Columns left out at this width (besides the -o wide ones)."""
        show, _ = self.layout(max_width)
        return [self.columns[i].name for i in self.visible() if i not in show]

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.text import Text

        width = options.max_width
        if self.title is not None:
            yield text(self.title)
        if self.rows:
            yield self.table(width)
        hidden = self.hidden(width)
        if hidden:
            yield Text(f"(not shown at this width: {', '.join(hidden)}; -o wide shows every column)",
                       style="dim")
        if self.caption is not None:
            yield text(self.caption)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        widths = [self.natural_width()]
        for part in (self.title, self.caption):
            if part is not None:
                widths.append(_width(text(part)))
        return Measurement(1, max(widths))


def _natural(grid: Grid, i: int) -> int:
    return max([_width(r[i]) for r in grid.rows] + [len(grid.columns[i].name)])


def group(*parts: Any) -> Any:
    """Several renderables printed one after another (None and "" left out)."""
    from rich.console import Group

    return Group(*(text(p) if isinstance(p, str) else p for p in parts if p is not None and p != ""))

