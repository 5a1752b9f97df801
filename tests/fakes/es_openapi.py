"""Validate Elasticsearch simulator responses against Elastic's published OpenAPI spec.

The spec is read from ``../shared/specs/elasticsearch/`` (never copied into this repository).
It is OpenAPI 3.0, so before handing schemas to ``jsonschema``: ``nullable`` becomes a
``null`` alternative, and ``oneOf`` becomes ``anyOf`` (the spec's alternatives overlap,
e.g. ``FieldValue`` lists ``number`` twice, so a strict ``oneOf`` rejects every number).
``undeclared()`` adds what the spec's open objects cannot: keys a schema does not declare.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

SPEC = Path(os.environ.get("AIOPS_ES_OPENAPI", Path(__file__).resolve().parents[2].parent
                           / "shared" / "specs" / "elasticsearch"
                           / "elasticsearch-serverless-openapi.json"))

# simulator operation -> where its 200 schema lives in the spec
OPERATIONS = {
    "info": ("path", "/", "get"),
    "search": ("response", "search-200"),
    "open_point_in_time": ("path", "/{index}/_pit", "post"),
    "close_point_in_time": ("path", "/_pit", "delete"),
    "field_caps": ("response", "field_caps-200"),
    "bulk": ("response", "bulk-200"),
    "refresh": ("response", "indices.refresh-200"),
    "indices.create": ("path", "/{index}", "put"),
}
ERROR = "#/components/schemas/_types.ErrorResponseBase"


@functools.lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The spec with 3.0-isms converted; skip locally / fail in CI when it is absent."""
    if not SPEC.is_file():
        message = f"Elastic's OpenAPI spec is not at {SPEC}"
        if IN_CI:
            pytest.fail(message + " (CI=true: missing dependencies fail)", pytrace=False)
        pytest.skip(message)
    with SPEC.open(encoding="utf-8") as fh:
        return _convert(json.load(fh))


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if k == "oneOf" else k): _convert(v) for k, v in node.items()
           if k not in ("examples", "example", "description", "externalDocs")}
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def schema_ref(operation: str, status: int) -> dict[str, Any]:
    """A schema (``$ref`` into the spec's components) for one response."""
    # closing an unknown point in time answers 404 with the ordinary response body
    if status >= 400 and not (operation == "close_point_in_time" and status == 404):
        return {"$ref": ERROR}
    where = OPERATIONS[operation]
    doc = spec()
    if where[0] == "response":
        content = doc["components"]["responses"][where[1]]["content"]
    else:
        content = doc["paths"][where[1]][where[2]]["responses"]["200"]["content"]
    return content["application/json"]["schema"]


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft7Validator

    return Draft7Validator({**schema, "components": spec()["components"]})


def validate(operation: str, status: int, body: Any) -> list[str]:
    """Spec violations of one response, as readable strings (empty: valid)."""
    schema = schema_ref(operation, status)
    problems = [f"{operation} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                for e in _validator(schema).iter_errors(body)]
    return problems + [f"{operation} {status}: undeclared key {p}" for p in undeclared(body, schema)]


def validate_component(name: str, body: Any) -> list[str]:
    schema = {"$ref": f"#/components/schemas/{name}"}
    return [e.message[:200] for e in _validator(schema).iter_errors(body)] + \
        [f"undeclared key {p}" for p in undeclared(body, schema)]


# Schemas whose description promises more keys than they list: ErrorCause "defines the
# properties common to all error types. Additional details are also provided, that depend
# on the error type" (e.g. resource.id, index, header).
OPEN = {"_types.ErrorCause"}


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _properties(schema: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Declared properties (through allOf) and the additionalProperties schema, or None
    when the object is open (no declared properties, or alternatives to choose from)."""
    if schema.get("$ref", "").rsplit("/", 1)[-1] in OPEN:
        return {}, None
    schema = _deref(schema)
    if "anyOf" in schema:
        return {}, None
    props = dict(schema.get("properties", {}))
    extra = schema.get("additionalProperties")
    for part in schema.get("allOf", []):
        sub_props, sub_extra = _properties(part)
        if sub_extra is None and not sub_props:
            return {}, None
        props.update(sub_props)
        extra = extra if extra is not None else (sub_extra if sub_extra is not False else None)
    if not props:
        return {}, None
    return props, extra if extra is not None else False


def undeclared(instance: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Keys of ``instance`` that the schema does not declare (recursively)."""
    if isinstance(instance, list):
        schema = _deref(schema)
        items = schema.get("items")
        return [p for i, v in enumerate(instance) for p in undeclared(v, items, f"{path}[{i}]")] \
            if isinstance(items, dict) else []
    if not isinstance(instance, dict):
        return []
    props, extra = _properties(schema)
    if extra is None:
        return []
    out = []
    for key, value in instance.items():
        sub = props.get(key) or (extra if isinstance(extra, dict) else None)
        if sub is None:
            out.append(f"{path}.{key}")
        else:
            out.extend(undeclared(value, sub, f"{path}.{key}"))
    return out
