"""Validate a JSON document against its schema in ``schemas/`` (draft 2020-12)."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def check_schema(doc: object, name: str) -> None:
    """Raise (jsonschema.ValidationError) unless ``doc`` follows ``schemas/<name>.schema.json``."""
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
