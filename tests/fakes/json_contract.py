"""The JSON contract: validate aiops documents against the published schemas in ``schemas/``.

A document names its schema (``"schema": "aiops.<name>/v1"``); the schema is
``schemas/<name>.schema.json`` (draft 2020-12). Schemas refer to each other by file name
(``common.schema.json#/$defs/time``), so every file is registered under its ``$id``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
NAME = re.compile(r"^aiops\.([a-z][a-z0-9.-]*)/v1$")


def schema_path(name: str) -> Path:
    """``aiops.health.probe/v1`` -> ``schemas/health.probe.schema.json``."""
    match = NAME.match(name)
    if not match:
        raise AssertionError(f"not an aiops schema name: {name!r}")
    return SCHEMAS / f"{match.group(1)}.schema.json"


@functools.lru_cache(maxsize=1)
def _registry() -> Any:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def validator(name: str) -> Any:
    import jsonschema

    path = schema_path(name)
    if not path.is_file():
        raise AssertionError(f"no schema file for {name}: expected {path.relative_to(ROOT)}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def validate(doc: Any, name: str | None = None) -> None:
    """Raise AssertionError listing every violation of ``doc``'s schema (named by its ``schema``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        raise AssertionError(f"not an aiops JSON document (no 'schema' key): {str(doc)[:200]}")
    if name is not None and doc["schema"] != name:
        raise AssertionError(f"schema is {doc['schema']!r}, expected {name!r}")
    errors = sorted(validator(doc["schema"]).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:15]]
        raise AssertionError(f"{doc['schema']}: {len(errors)} violation(s)\n" + "\n".join(lines))
