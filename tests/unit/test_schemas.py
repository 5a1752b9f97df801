"""The published JSON Schemas: one per schema name the code emits, valid, and following the
house rules for documents (keys, units, timestamps, enumerations)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.fakes.json_contract import NAME, ROOT, SCHEMAS, schema_path, validate

SHARED = {"common.schema.json"}
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# a number under one of these names is a duration: its unit must be in the key
DURATION_WORDS = re.compile(r"(duration|timeout|latency|elapsed|took|interval|window|span|uptime|"
                            r"wait|delay|age|ttl|time_left|late)")
BARE_UNITS = re.compile(r"_(s|sec|secs|msec|millis|minutes?|hours?)$")
TIMESTAMP_KEYS = re.compile(r"(_at|^time|^timestamp|^since|^start|^end|^due|^happened|^now|_seen|_time)$")
ENUM_VALUE = re.compile(r"^[a-z0-9]+([_.-][a-z0-9]+)*$")
# enumerations that quote an outside vocabulary keep its spelling
OUTSIDE_VOCABULARY = {"P1", "P2", "P3", "P4", "/health", "/ready", "/live", "/metrics",
                      "==", "!=", "<", "<=", ">", ">="}


def _schema_files() -> list[Path]:
    return sorted(p for p in SCHEMAS.glob("*.schema.json") if p.name not in SHARED)


def _names_in_code() -> set[str]:
    found = set()
    for path in (ROOT / "aiops").rglob("*.py"):
        found.update(re.findall(r"aiops\.[a-z][a-z0-9.-]*/v\d+", path.read_text(encoding="utf-8")))
    return found


def test_every_schema_name_in_the_code_has_a_schema_file_and_back():
    names = _names_in_code()
    assert len(names) >= 30, names
    missing = sorted(n for n in names if not schema_path(n).is_file())
    assert not missing, f"schema names without a file in schemas/: {missing}"
    files = {p.name for p in _schema_files()}
    orphans = sorted(files - {schema_path(n).name for n in names})
    assert not orphans, f"schema files no code emits: {orphans}"


@pytest.mark.parametrize("path", _schema_files(), ids=lambda p: p.name)
def test_each_schema_is_valid_draft_2020_12_and_named_like_its_file(path):
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == path.name
    name = schema["properties"]["schema"]["const"]
    assert NAME.match(name) and schema_path(name) == path
    assert "schema" in schema["required"] and schema["additionalProperties"] is False
    assert schema.get("title") and schema.get("description")


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, str, dict]]:
    """(where, key, subschema) for every declared property, recursively."""
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            yield where, key, sub
        for key, sub in node.items():
            yield from _properties(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{where}/{i}")


def _enums(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for value in node.get("enum") or ():
            yield where, value
        for key, sub in node.items():
            yield from _enums(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _enums(sub, f"{where}/{i}")


def _is_number(sub: dict) -> bool:
    types = sub.get("type")
    ref = sub.get("$ref", "")
    return (types in ("number", "integer") or isinstance(types, list) and ("number" in types or "integer" in types)
            or "duration_ms" in ref or "duration_seconds" in ref)


@pytest.mark.parametrize("path", [*_schema_files(), SCHEMAS / "common.schema.json"], ids=lambda p: p.name)
def test_documents_follow_the_house_rules(path):
    """Keys without spaces (snake_case); numeric durations end in _ms or _seconds; timestamps are
    the one RFC 3339 type; enumerations are lower-case words (outside vocabularies excepted)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for where, key, sub in _properties(schema):
        if not KEY.match(key):
            problems.append(f"{where}: key {key!r} is not snake_case")
        if BARE_UNITS.search(key):
            problems.append(f"{where}: {key!r}: durations end in _ms or _seconds")
        if DURATION_WORDS.search(key) and _is_number(sub) and not key.endswith(("_ms", "_seconds")):
            problems.append(f"{where}: {key!r} is a number without its unit (_ms or _seconds)")
        if TIMESTAMP_KEYS.search(key) and "string" in json.dumps(sub.get("type", "")) and "$ref" not in sub:
            problems.append(f"{where}: {key!r} looks like a timestamp: use common.schema.json#/$defs/time")
    for where, value in _enums(schema):
        if isinstance(value, str) and not ENUM_VALUE.match(value) and value not in OUTSIDE_VOCABULARY:
            problems.append(f"{where}: enumeration value {value!r} is not lower-case words")
    assert not problems, "\n".join(problems)


def test_the_one_timestamp_format():
    """Milliseconds, UTC, Z: whatever a datetime's own precision, every document's times look alike."""
    import datetime as dt

    from aiops.cli.output import to_jsonable
    from aiops.core.timewindow import rfc3339

    utc = dt.timezone.utc
    assert rfc3339(dt.datetime(2026, 1, 28, 10, 0, tzinfo=utc)) == "2026-01-28T10:00:00.000Z"
    assert rfc3339(dt.datetime(2026, 1, 28, 10, 0, 0, 448999, tzinfo=utc)) == "2026-01-28T10:00:00.448Z"
    assert rfc3339(dt.datetime(2026, 1, 28, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))) \
        == "2026-01-28T10:00:00.000Z"
    assert rfc3339(dt.datetime(2026, 1, 28, 10, 0)) == "2026-01-28T10:00:00.000Z"  # naive is UTC
    assert to_jsonable({"at": dt.datetime(2026, 1, 28, 10, 0, 1, 5, tzinfo=utc)}) == {"at": "2026-01-28T10:00:01.000Z"}


def test_a_document_that_breaks_its_schema_is_caught():
    """The validator the contract tests use really rejects a wrong document."""
    good = {"schema": "aiops.config-init/v1", "path": "aiops.toml"}
    validate(good)
    for bad in ({**good, "extra": 1}, {"schema": "aiops.config-init/v1"}, {**good, "path": 3},
                {"schema": "aiops.nope/v1", "path": "x"}, {"path": "x"}):
        with pytest.raises(AssertionError):
            validate(bad)
