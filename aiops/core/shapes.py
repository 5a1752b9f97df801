"""The shape of a server's JSON answer, checked where it enters aiops.

A spec says what aiops relies on, and nothing more (extra keys are fine)::

    ALERT = {"labels": {str: str}, "state?": str, "annotations?": {str: str}}
    conform(doc, [ALERT], "/api/v1/alerts")   # ValueError naming the first bad place

- a type (``str``, ``int``, ``bool``, ``dict``, ``list``, ``object`` for anything): isinstance,
  where ``int`` and ``float`` refuse booleans and ``float`` accepts integers;
- ``[spec]``: a list whose items conform;
- ``{str: spec}``: an object whose values conform;
- ``{"key": spec, "key?": spec}``: an object with those keys (``?``: optional; ``None`` allowed);
- ``(spec, spec, ...)``: any one of them (``None`` for null).

Callers turn the ValueError into the error their server deserves (usually
:class:`~aiops.core.errors.UpstreamError`: the server answered something that is not its API).
"""

from __future__ import annotations

from typing import Any

_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
          dict: "an object", list: "a list", type(None): "null"}


def conform(value: Any, spec: Any, where: str = "answer") -> Any:
    """Return ``value`` when it has the shape ``spec``; else ValueError naming where it does not."""
    stack = [(value, spec, where)]
    while stack:
        item, want, path = stack.pop()
        problem = _check(item, want, path, stack)
        if problem:
            raise ValueError(problem)
    return value


def _check(item: Any, want: Any, path: str, stack: list) -> str | None:
    if want is object:
        return None
    if want is None:
        return None if item is None else f"{path}: expected null"
    if isinstance(want, tuple):
        for option in want:
            trial: list = []
            if _check(item, option, path, trial) is None and not _nested_fails(trial):
                return None
        return f"{path}: expected {' or '.join(_describe(o) for o in want)}"
    if isinstance(want, type):
        ok = isinstance(item, want) and not (want in (int, float) and isinstance(item, bool))
        if want is float:
            ok = isinstance(item, (int, float)) and not isinstance(item, bool)
        return None if ok else f"{path}: expected {_describe(want)}, got {_describe(type(item))}"
    if isinstance(want, list):
        if not isinstance(item, list):
            return f"{path}: expected a list, got {_describe(type(item))}"
        stack.extend((v, want[0], f"{path}[{i}]") for i, v in enumerate(item))
        return None
    if isinstance(want, dict):
        if not isinstance(item, dict):
            return f"{path}: expected an object, got {_describe(type(item))}"
        if len(want) == 1 and next(iter(want)) is str:
            stack.extend((v, want[str], f"{path}.{k}") for k, v in item.items())
            return None
        for key, sub in want.items():
            name, optional = (key[:-1], True) if key.endswith("?") else (key, False)
            if name not in item:
                if optional:
                    continue
                return f"{path}: missing '{name}'"
            if optional and item[name] is None:
                continue
            stack.append((item[name], sub, f"{path}.{name}"))
        return None
    raise TypeError(f"not a shape spec: {want!r}")


def _nested_fails(trial: list) -> bool:
    """Check what one alternative deferred (nested items) right away."""
    try:
        for value, spec, path in trial:
            conform(value, spec, path)
    except ValueError:
        return True
    return False


def _describe(want: Any) -> str:
    if isinstance(want, type):
        return _NAMES.get(want, want.__name__)
    if want is None:
        return "null"
    if isinstance(want, list):
        return "a list"
    if isinstance(want, dict):
        return "an object"
    return "a value"
