"""Which metric names a /metrics page exports, checked at fleet speed.

prometheus_client's text parser is the judge of what is valid exposition, but it costs about a
millisecond per page of a real service (it builds a Metric and a Sample per line), which is most
of a probe's CPU at a thousand targets. :func:`names` first reads the page as a strict subset of
the text format (canonical ``# HELP``/``# TYPE`` lines and samples with quoted labels, one space
between fields): what prometheus_client's own exporters write. A page inside the subset is
accepted without the parser (the test suite checks, on generated pages, that the parser accepts
every page the subset does and finds the same names); anything else, valid or not, goes to the
parser, whose verdict stands. Pages of a fleet repeat the same lines with other values, so a
line is matched against the subset once, and after that only its value is checked.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'(?!__)[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*(?:\\[\\"n][^"\\\n]*)*"'
_VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Inf)|NaN"
_HELP = r'[^\n\\\x00-\x1f\x7f"]*(?:\\[\\n][^\n\\\x00-\x1f\x7f"]*)*'
_SAMPLE = re.compile(rf"({_NAME})(?:\{{(?:{_LABEL}(?:,{_LABEL})*,?)?\}})? (?:{_VALUE})( -?[0-9]+)?", re.ASCII)
_HELP_LINE = re.compile(rf"# HELP ({_NAME})(?: {_HELP})?", re.ASCII)
_TYPE_LINE = re.compile(rf"# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)", re.ASCII)
_VALUES = re.compile(rf"(?:(?:{_VALUE})\n)*(?:{_VALUE})", re.ASCII)
_LABEL_SETS = re.compile(r'\{([^\n]*,[^\n]*)\} ', re.ASCII)
_LABEL_NAMES = re.compile(r'(?:^|,)([a-zA-Z_][a-zA-Z0-9_]*)="', re.ASCII)
# Lines already found inside the subset, with what they name: a header line (# HELP, # TYPE) as
# a whole -> (name, is a counter), a sample's name and labels (all but " value") -> its name.
# The same service's pages repeat them target after target; only the values change. Bounded:
# a fleet whose every page is new fills it, and it starts again; a line longer than SEEN_LINE
# (a long HELP text, a label set of a kilobyte) is matched every time instead.
_SEEN: dict[str, Any] = {}
SEEN_MAX = 50_000
SEEN_LINE = 512


def fast_names(text: str) -> set[str] | None:
    """The names a page in the strict subset exports (as the parser names them), or None
    when the page is outside the subset and only the parser can judge it.

    Line by line: a line seen before on any page (its values aside) is known to be inside the
    subset; a new one is matched against it, and the values of the known ones are checked
    together in one match at the end."""
    seen = _SEEN
    names: set[str] = set()
    values: list[str] = []
    pending = None  # a counter family whose samples, if they come next, the parser names NAME_total
    for line in text.split("\n"):
        if not line:
            continue  # blank lines are allowed anywhere, even between a family's header and samples
        if line[0] == "#":
            entry = seen.get(line)
            if entry is None:
                entry = _header(line)
                if entry is None:
                    return None
            name, counter = entry
            names.add(name)
            if name != pending:
                pending = None
            if counter:
                if name == "_total":
                    return None  # the parser's family name would be empty: let it say so
                if name.endswith("_total"):
                    names.add(name[:-6])
                else:
                    pending = name
            continue
        head, _, value = line.rpartition(" ")
        name = seen.get(head)
        if name is None:
            name = _sample(line, head)
            if name is None:
                return None
        else:
            values.append(value)
        names.add(name)
        if pending is not None:
            if name == pending:
                names.add(name + "_total")
            pending = None
    if values and _VALUES.fullmatch("\n".join(values)) is None:
        return None
    return names


def _header(line: str) -> tuple[str, bool] | None:
    """(name, is a counter) of a # HELP or # TYPE line inside the subset (remembered), else None."""
    match = _HELP_LINE.fullmatch(line)
    counter = False
    if match is None:
        match = _TYPE_LINE.fullmatch(line)
        if match is None:
            return None
        counter = match.group(2) == "counter"
    if _repeats_a_label(line):
        return None
    entry = (match.group(1), counter)
    _remember(line, entry)
    return entry


def _sample(line: str, head: str) -> str | None:
    """The name of a sample line inside the subset, else None; its name and labels (``head``)
    are remembered unless it carries a timestamp (then ``head`` is not all but the value)."""
    match = _SAMPLE.fullmatch(line)
    if match is None or _repeats_a_label(line):
        return None
    if match.group(2) is None:
        _remember(head, match.group(1))
    return match.group(1)


def _repeats_a_label(line: str) -> bool:
    """A repeated label name is invalid (checked as the page-wide match did, on every line)."""
    for labels in _LABEL_SETS.findall(line):
        found = _LABEL_NAMES.findall(labels)
        if len(found) != len(set(found)):
            return True
    return False


def _remember(key: str, entry: Any) -> None:
    if len(key) > SEEN_LINE:
        return
    if len(_SEEN) >= SEEN_MAX:
        _SEEN.clear()
    _SEEN[key] = entry


def parser_names(text: str) -> set[str]:
    """Family and sample names as prometheus_client's parser reads them; ValueError (or the
    parser's other exceptions) when the page is not exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
    return names


def names(text: str) -> set[str]:
    """Every metric name the page exports; raises when prometheus_client rejects the page."""
    found = fast_names(text)
    return found if found is not None else parser_names(text)
