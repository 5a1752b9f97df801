"""Validate the Jaeger test server's responses against Jaeger's published OpenAPI spec (v3 API).

The spec is read from ``../shared/specs/jaeger/`` (never copied into this repository). It is
OpenAPI 3.0.3: ``description``/``example`` keys are dropped and ``format: enum`` (a protobuf
enum as an integer) is left to ``type: integer``. Beyond the schema, every object key must be
declared by it (the spec's objects are open, so a typo would otherwise pass).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

SPEC = Path(os.environ.get("AIOPS_JAEGER_OPENAPI", Path(__file__).resolve().parents[2].parent
                           / "shared" / "specs" / "jaeger" / "query_service.openapi.json"))


@functools.lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The spec without prose; skip locally / fail in CI when it is absent."""
    if not SPEC.is_file():
        message = f"Jaeger's OpenAPI spec is not at {SPEC}"
        if IN_CI:
            pytest.fail(message + " (CI=true: missing dependencies fail)", pytrace=False)
        pytest.skip(message)
    with SPEC.open(encoding="utf-8") as fh:
        return _strip(json.load(fh))


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {k: _strip(v) for k, v in node.items() if k not in ("description", "example", "examples")}


def response_schema(route: str, status: int) -> dict[str, Any]:
    """The schema of a response of ``GET route`` (the 200 one, else the default error)."""
    responses = spec()["paths"][route]["get"]["responses"]
    chosen = responses["200"] if status == 200 else responses["default"]
    return chosen["content"]["application/json"]["schema"]


def validate(route: str, status: int, body: Any) -> list[str]:
    """Violations of one response, readable (empty: valid)."""
    from jsonschema import Draft7Validator

    schema = response_schema(route, status)
    validator = Draft7Validator({**schema, "components": spec()["components"]})
    problems = [f"{route} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                for e in validator.iter_errors(body)]
    return problems + [f"{route} {status}: undeclared key {p}" for p in undeclared(body, schema)]


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def undeclared(body: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Object keys in ``body`` that ``schema`` does not declare, as JSON paths."""
    schema = _deref(schema)
    out: list[str] = []
    if isinstance(body, dict) and "properties" in schema:
        props = schema["properties"]
        for key, value in body.items():
            if key not in props:
                out.append(f"{path}.{key}")
            else:
                out += undeclared(value, props[key], f"{path}.{key}")
    elif isinstance(body, list) and "items" in schema:
        for i, item in enumerate(body):
            out += undeclared(item, schema["items"], f"{path}[{i}]")
    return out
