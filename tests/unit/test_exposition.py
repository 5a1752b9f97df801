"""The /metrics fast path never accepts what prometheus_client's parser rejects, and names
the same metrics when it accepts; anything outside its subset goes to the parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.health.exposition import fast_names, names, parser_names
from aiops.health.rules import judge_metrics
from tests.fakes.http_target import METRICS_TEXT

NAME = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,12}", fullmatch=True)
LABEL = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
VALUE = st.one_of(st.sampled_from(["0", "1", "-1.5", "1e3", "+Inf", "-Inf", "NaN", "1.", ".5", "01",
                                   "1_0", "0x10", "inf", "nan", "1e", "--1", ""]),
                  st.floats(allow_nan=False).map(repr), st.integers().map(str))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@st.composite
def label_sets(draw):
    pairs = draw(st.lists(st.tuples(LABEL, st.one_of(TEXT, st.sampled_from(['a\\"b', "a\\\\", "x\\ny", "}", "{,="])))
                          , max_size=3))
    inner = ",".join(f'{k}="{v}"' for k, v in pairs) + draw(st.sampled_from(["", ","]))
    return draw(st.sampled_from(["", "{" + inner + "}", "{}", "{" + inner]))


@st.composite
def lines(draw):
    kind = draw(st.sampled_from(["help", "type", "sample", "sample", "sample", "blank", "comment", "junk"]))
    name = draw(NAME)
    if kind == "help":
        return f"# HELP {name}" + draw(st.sampled_from(["", " "])) + draw(TEXT)
    if kind == "type":
        return f"# TYPE {name} " + draw(st.sampled_from(["counter", "gauge", "histogram", "summary", "untyped",
                                                          "info", "bogus", "gauge extra"]))
    if kind == "sample":
        ts = draw(st.sampled_from(["", " 1700000000000", " -5", " x"]))
        sep = draw(st.sampled_from([" ", " ", "  ", "\t"]))
        return f"{name}{draw(label_sets())}{sep}{draw(VALUE)}{ts}"
    if kind == "blank":
        return draw(st.sampled_from(["", " "]))
    if kind == "comment":
        return "# " + draw(TEXT)
    return draw(TEXT)


@st.composite
def pages(draw):
    body = "\n".join(draw(st.lists(lines(), max_size=12)))
    return body + draw(st.sampled_from(["", "\n", "\r\n"]))


def _parser(text):
    try:
        return parser_names(text)
    except Exception:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_fast_path_is_a_subset_of_what_the_parser_accepts(text):
    fast = fast_names(text)
    if fast is None:
        return
    parsed = _parser(text)
    assert parsed is not None, f"fast path accepted what the parser rejects: {text!r}"
    assert fast == parsed, text


@settings(max_examples=100, deadline=None)
@given(pages())
def test_names_and_verdicts_match_the_parser(text):
    parsed = _parser(text)
    try:
        got = names(text)
    except Exception:
        got = None
    assert got == parsed
    expected = ["ai_model_accuracy", "up", "x_total"]
    verdict = judge_metrics(text, expected)
    assert (verdict[2] is None) == (parsed is not None and bool(parsed))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pages(), min_size=2, max_size=6))
def test_lines_remembered_from_other_pages_change_no_verdict(texts):
    """Lines known from earlier pages skip the subset's match: a page's answer is the same
    whatever came before it (each page read cold, then after all the others)."""
    from aiops.health import exposition

    cold = []
    for text in texts:
        exposition._SEEN.clear()
        cold.append(fast_names(text))
    for text in texts + texts:
        fast_names(text)
    assert [fast_names(text) for text in texts] == cold


@pytest.mark.parametrize("first, then", [
    ("x 1 5\n", "x 1 1.5\n"),               # a timestamped line's "name value" is not a known head
    ('x{a="1"} 2 5\n', 'x{a="1"} 2 NaN\n'),
    ("# TYPE x counter\nx 1\n", "# TYPE x counter\ny 1\n"),  # the counter rule stays page by page
    ('x{a="1"} 2\n', 'x{a="1"}  2\n'),       # two spaces: outside the subset
    ("x 1\n", "x 1\r\n"),
])
def test_a_known_line_vouches_for_nothing_else(first, then):
    from aiops.health import exposition

    exposition._SEEN.clear()
    cold = fast_names(then)
    exposition._SEEN.clear()
    fast_names(first)
    assert fast_names(then) == cold
    exposition._SEEN.clear()


def test_what_is_remembered_is_bounded(monkeypatch):
    from aiops.health import exposition

    monkeypatch.setattr(exposition, "SEEN_MAX", 50)
    exposition._SEEN.clear()
    for i in range(40):
        page = "".join(f'# HELP m{i}_{j} x\nm{i}_{j}{{a="{j}"}} 1\n' for j in range(5))
        assert fast_names(page) == {f"m{i}_{j}" for j in range(5)}
        assert len(exposition._SEEN) <= 50
    long_help = "# HELP big " + "x" * 600
    assert fast_names(long_help + "\nbig 1\n") == {"big"}
    assert long_help not in exposition._SEEN and "big" in exposition._SEEN
    exposition._SEEN.clear()


SAFE = st.text(st.characters(whitelist_categories=("L", "N", "Zs", "P"), blacklist_characters='"\\\n\r'),
               max_size=8)


@st.composite
def canonical_pages(draw):
    out = []
    for _ in range(draw(st.integers(0, 10))):
        name, kind, text, bare = draw(NAME), draw(st.integers(0, 3)), draw(SAFE), draw(st.booleans())
        kind_name = draw(st.sampled_from(["counter", "gauge", "histogram", "summary", "untyped"]))
        keys = draw(st.lists(st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}", fullmatch=True), max_size=3, unique=True))
        values = [draw(SAFE) for _ in keys]
        value = draw(st.one_of(st.sampled_from(["+Inf", "-Inf", "NaN"]),
                               st.floats(allow_nan=False, allow_infinity=False).map(repr),
                               st.integers(-10**6, 10**6).map(str)))
        ts = draw(st.sampled_from(["", " 1700000000000"]))
        if kind == 0:
            out.append(f"# HELP {name} {text}".rstrip() if bare else f"# HELP {name}")
        elif kind == 1:
            out.append(f"# TYPE {name} {kind_name}")
        else:
            labels = ",".join(f'{k}="{v}"' for k, v in zip(keys, values))
            out.append(f"{name}{{{labels}}} {value}{ts}" if keys or bare else f"{name} {value}{ts}")
    return "\n".join(out) + "\n"


@settings(max_examples=150, deadline=None)
@given(canonical_pages())
def test_canonical_pages_take_the_fast_path_and_agree_with_the_parser(text):
    fast = fast_names(text)
    parsed = _parser(text)
    if parsed is None:  # e.g. TYPE _total counter: the parser's own rule; the fast path must defer
        assert fast is None
        return
    assert fast == parsed, text


def test_the_labs_page_and_the_fakes_take_the_fast_path():
    lab_like = METRICS_TEXT + '# TYPE http_requests_total counter\nhttp_requests_total{method="GET",path="/x",status="200"} 3.0\n'
    assert fast_names(lab_like) == parser_names(lab_like)


@pytest.mark.parametrize("text", [
    'x{a="1",a="2"} 1\n',           # repeated label
    "# TYPE _total counter\n_total 1\n",  # empty family name
    'x{__name__="y"} 1\n',          # name twice
    "x 1_000\n",                    # underscore in a value
])
def test_invalid_pages_are_left_to_the_parser_which_rejects_them(text):
    assert fast_names(text) is None
    with pytest.raises(Exception):
        parser_names(text)
    present, missing, problem = judge_metrics(text, ["x"])
    assert problem and problem.startswith("not Prometheus exposition format")
