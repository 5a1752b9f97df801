"""Hypothesis strategies for hostile input: JSON of every shape, mutations of valid documents,
deep nesting, awkward numbers and text."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

# Numbers that break naive code: NaN, infinities, huge and tiny magnitudes, -0.0, bools.
AWKWARD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0,
                                   2 ** 63, -(2 ** 63) - 1, 10 ** 30, 0, -1, True, False])
TEXT = st.one_of(st.text(max_size=40),
                 st.sampled_from(["", " ", "\x00", "\u202e", "null", "NaN", "[/]", "${x}", "%s",
                                  "../../etc/passwd", "a" * 5000, "☃", "\ud800".encode(
                                      "utf-8", "surrogatepass").decode("utf-8", "replace")]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), AWKWARD_NUMBERS, TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(TEXT, inner, max_size=5)), max_leaves=25)


def nested(depth: int, leaf: str = "0") -> str:
    """``[[[...0...]]]`` nested ``depth`` levels, as JSON text."""
    return "[" * depth + leaf + "]" * depth


DEEP = st.integers(min_value=20, max_value=5000).map(nested)


def dumps(value: Any) -> bytes:
    """JSON text (NaN and Infinity allowed: servers and clients meet them)."""
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: Any, document: Any) -> Any:
    """``document`` with one to three changes: a value replaced by any JSON, a key dropped or
    added, a list emptied or repeated, a type swapped."""
    doc = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        doc = _mutate_once(draw, doc)
    return doc


def _mutate_once(draw: Any, doc: Any) -> Any:
    paths = list(_paths(doc))
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "drop", "add", "wrap", "empty", "repeat"]))
    if not path:
        return draw(JSON) if action in ("replace", "drop") else [doc] if action == "wrap" else doc
    parent = _get(doc, path[:-1])
    key = path[-1]
    value = parent[key]
    if action == "replace":
        parent[key] = draw(JSON)
    elif action == "drop":
        del parent[key]
    elif action == "add" and isinstance(value, dict):
        value[draw(TEXT)] = draw(JSON)
    elif action == "wrap":
        parent[key] = [value]
    elif action == "empty":
        parent[key] = type(value)() if isinstance(value, (list, dict, str)) else None
    elif action == "repeat" and isinstance(value, list):
        parent[key] = value * draw(st.integers(2, 50))
    else:
        parent[key] = draw(SCALARS)
    return doc


def _paths(doc: Any, prefix: tuple = ()) -> Any:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:20]):
            yield from _paths(v, prefix + (i,))


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def body_of(document: Any) -> st.SearchStrategy:
    """What a server may send instead of ``document``: a mutation of it, any JSON, random bytes,
    the document cut short, deep nesting, an empty body."""
    text = dumps(document)
    return st.one_of(
        mutated(document).map(dumps),
        JSON.map(dumps),
        st.binary(max_size=300),
        st.integers(0, max(0, len(text) - 1)).map(lambda n: text[:n]),
        DEEP.map(str.encode),
        st.just(b""),
    )


class Mutation:
    """A mutation decided now (``seed``, ``mode``) and applied later to a document only known
    then (a server's real answer): deterministic, so a failing example replays exactly."""

    MODES = ("mutate", "mutate", "mutate", "any json", "bytes", "truncate", "deep", "empty",
             "wrong type")

    def __init__(self, mode: str, seed: int) -> None:
        self.mode, self.seed = mode, seed

    def __repr__(self) -> str:
        return f"Mutation({self.mode!r}, {self.seed})"

    def __call__(self, document: Any) -> bytes:
        import random

        rng = random.Random(self.seed)
        text = dumps(document)
        if self.mode == "bytes":
            return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        if self.mode == "truncate":
            return text[: rng.randrange(max(1, len(text)))]
        if self.mode == "deep":
            return nested(rng.randrange(100, 5000)).encode()
        if self.mode == "empty":
            return b""
        if self.mode == "wrong type":
            return dumps(rng.choice([[], {}, None, 0, "", [document], {"x": document}]))
        if self.mode == "any json":
            return dumps(_random_json(rng, 3))
        doc = json.loads(text)
        for _ in range(rng.randrange(1, 4)):
            paths = list(_paths(doc))
            path = paths[rng.randrange(len(paths))]
            if not path:
                doc = _random_json(rng, 2)
                continue
            parent = _get(doc, path[:-1])
            if rng.random() < 0.3:
                del parent[path[-1]]
            else:
                parent[path[-1]] = _random_json(rng, 2)
        return dumps(doc)


def _random_json(rng: Any, depth: int) -> Any:
    kind = rng.randrange(9 if depth > 0 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2 ** 70, 1e308, math.nan, math.inf, rng.randrange(-10, 10 ** 6)])
    if kind in (3, 4, 5, 6):
        return rng.choice(["", "x", "P123ABC", "2026-01-28T10:00:00Z", "not a time", "☃" * 3,
                           "a" * rng.randrange(1, 300), "acknowledged", "resolved", "incident"])
    if kind == 7:
        return [_random_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["id", "status", "x", "summary", "labels", ""]): _random_json(rng, depth - 1)
            for _ in range(rng.randrange(4))}


MUTATIONS = st.builds(Mutation, st.sampled_from(Mutation.MODES), st.integers(0, 2 ** 32))
