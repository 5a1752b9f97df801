"""Which metric names a /metrics page exports, checked at fleet speed.

prometheus_client's text parser is the judge of what is valid exposition, but it costs about a
millisecond per page of a real service (it builds a Metric and a Sample per line), which is most
of a probe's CPU at a thousand targets. :func:`names` first matches the page against a strict
subset of the text format in one regular expression (canonical ``# HELP``/``# TYPE`` lines and
samples with quoted labels, one space between fields): what prometheus_client's own exporters
write. A page inside the subset is accepted without the parser (the test suite checks, on
generated pages, that the parser accepts every page the subset does and finds the same names);
anything else, valid or not, goes to the parser, whose verdict stands.
"""

from __future__ import annotations

import re

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'(?!__)[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*(?:\\[\\"n][^"\\\n]*)*"'
_VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Inf)|NaN"
_HELP = r'[^\n\\\x00-\x1f\x7f"]*(?:\\[\\n][^\n\\\x00-\x1f\x7f"]*)*'
# Samples first (most lines are samples); the loops are unrolled: this runs once per page.
_LINE = (rf"{_NAME}(?:\{{(?:{_LABEL}(?:,{_LABEL})*,?)?\}})? (?:{_VALUE})(?: -?[0-9]+)?"
         rf"|# HELP {_NAME}(?: {_HELP})?"
         rf"|# TYPE {_NAME} (?:counter|gauge|histogram|summary|untyped)"
         r"|")
_PAGE = re.compile(rf"(?:(?:{_LINE})\n)*(?:{_LINE})", re.ASCII)
_NAMES = re.compile(rf"\n(?:# (?:HELP|TYPE) )?({_NAME})", re.ASCII)
_COUNTERS = re.compile(rf"\n# TYPE ({_NAME}) counter(?=\n|$)", re.ASCII)
_LABEL_SETS = re.compile(r'\{([^\n]*,[^\n]*)\} ', re.ASCII)
_LABEL_NAMES = re.compile(r'(?:^|,)([a-zA-Z_][a-zA-Z0-9_]*)="', re.ASCII)


def fast_names(text: str) -> set[str] | None:
    """The names a page in the strict subset exports (as the parser names them), or None
    when the page is outside the subset and only the parser can judge it."""
    if _PAGE.fullmatch(text) is None:
        return None
    for labels in _LABEL_SETS.findall(text):  # a repeated label name is invalid
        found = _LABEL_NAMES.findall(labels)
        if len(found) != len(set(found)):
            return None
    lined = "\n" + text
    names = set(_NAMES.findall(lined))
    for match in _COUNTERS.finditer(lined) if " counter" in text else ():
        counter = match.group(1)
        if counter == "_total":
            return None  # the parser's family name would be empty: let it say so
        if counter.endswith("_total"):
            names.add(counter[:-6])
        elif _family_samples(counter).match(lined, match.end()):  # its samples become NAME_total
            names.add(counter + "_total")
    return names


def _family_samples(name: str) -> re.Pattern:
    """From the end of a ``# TYPE name counter`` line: more header lines of the same family or
    blank lines, then a sample of it (the parser renames those samples ``name_total``)."""
    n = re.escape(name)
    return re.compile(rf"(?:\n(?:# (?:HELP|TYPE) {n}(?: [^\n]*)?)?(?=\n))*\n{n}[{{ ]", re.ASCII)


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
