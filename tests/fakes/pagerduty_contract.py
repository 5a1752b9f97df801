"""Check the simulator's answers (and aiops's requests) against PagerDuty's published OpenAPI 3
specs in ``../shared/specs/pagerduty/`` (never copied into this repository).

The specs are loaded from there, converted to JSON Schema (OpenAPI 3.0 ``nullable``), ``$ref``s
resolved with ``referencing``, and validated with ``jsonschema``. Three known quirks of the
published spec are patched in memory, each because real PagerDuty answers (and the spec's own
examples) would fail without it:

- fields PagerDuty returns as ``null`` (and shows as null in its own examples) but does not
  mark ``nullable``: :data:`NULLABLE`;
- a log entry's ``channel`` is a ``oneOf`` of variants that all accept the same objects, so no
  channel ever matches exactly one: it becomes ``anyOf``;
- ``AcknowledgeLogEntry`` spells its type ``acknowledgement_log_entry``, while the API (and the
  spec's own ``LogEntry`` enum) says ``acknowledge_log_entry``.

One more, of the same kind: the generic error body allows only an object under ``error``, but
PagerDuty sends a plain string there in places (``GET /users/me`` with an account-level token).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_DIR = Path(os.environ.get("AIOPS_PAGERDUTY_SPEC_DIR")
                or Path(__file__).resolve().parents[3] / "shared" / "specs" / "pagerduty")
IN_CI = os.environ.get("CI", "").lower() == "true"

# schema name -> properties PagerDuty sends as null
NULLABLE = {
    "Incident": ["resolved_at", "priority", "resolve_reason", "alert_grouping", "conference_bridge"],
    "Incident.alert_grouping": ["ended_at", "started_at", "grouping_type"],
    "Oncall": ["start", "end", "schedule"],
    "Service": ["auto_resolve_timeout", "acknowledgement_timeout", "description"],
    "AcknowledgeLogEntry": ["acknowledgement_timeout"],
}
_DROP = {"example", "examples", "discriminator", "xml", "externalDocs", "readOnly",
         "writeOnly", "deprecated", "nullable"}


def spec_files(directory: Path = SPEC_DIR) -> dict[str, Path]:
    """{"rest": path, "events": path}: found by content, whatever the files are called."""
    found: dict[str, Path] = {}
    for path in sorted(directory.glob("*.json")):
        paths = json.loads(path.read_text(encoding="utf-8")).get("paths", {})
        if "/incidents" in paths:
            found["rest"] = path
        elif "/enqueue" in paths:
            found["events"] = path
    return found


def patch_quirks(spec: dict) -> dict:
    """The in-memory corrections described in the module docstring."""
    schemas = spec["components"]["schemas"]
    for name, props in NULLABLE.items():
        base, _, sub = name.partition(".")
        for part in schemas[base].get("allOf", [schemas[base]]):
            target = part.get("properties", {})
            if sub:
                target = target.get(sub, {}).get("properties", {})
            for prop in props:
                if prop in target:
                    target[prop]["nullable"] = True
    channel = schemas["Channel"]
    channel["anyOf"] = channel.pop("oneOf")
    for part in schemas["AcknowledgeLogEntry"]["allOf"]:
        if "type" in part.get("properties", {}):
            part["properties"]["type"]["enum"] = ["acknowledge_log_entry"]
    error = spec["components"]["responses"]["Conflict"]["content"]["application/json"]["schema"]
    error["properties"]["error"] = {"oneOf": [error["properties"]["error"], {"type": "string"}]}
    return spec


def to_json_schema(node: Any) -> Any:
    """One OpenAPI 3.0 schema object -> JSON Schema (nullable becomes a null type)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(v) for name, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in ("allOf", "oneOf", "anyOf"):
            out[key] = [to_json_schema(v) for v in value]
        else:
            out[key] = value
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _convert_document(spec: dict) -> dict:
    doc = copy.deepcopy(spec)
    comps = doc.get("components", {})
    for name, schema in comps.get("schemas", {}).items():
        comps["schemas"][name] = to_json_schema(schema)
    containers = list(comps.get("responses", {}).values())
    for item in doc.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict):
                containers.extend(op.get("responses", {}).values())
                if "requestBody" in op:
                    containers.append(op["requestBody"])
    for container in containers:
        for media in (container.get("content") or {}).values():
            if "schema" in media:
                media["schema"] = to_json_schema(media["schema"])
    return doc


@dataclass(eq=False)
class Contract:
    """One spec, ready to validate bodies of its operations."""

    name: str
    doc: dict
    prefix: str  # the path prefix of its server URL (``/v2`` for the Events API)

    @property
    def error_pointer(self) -> str:
        """The generic error body schema (REST ``{"error": ...}``, Events ``{"status", ...}``)."""
        name = "Conflict" if "Conflict" in self.doc["components"].get("responses", {}) else "Error"
        return self._pointer("components", "responses", name, "content", "application/json", "schema")

    @functools.cached_property
    def registry(self) -> Any:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry().with_resource(f"urn:{self.name}",
                                        Resource.from_contents(self.doc, default_specification=DRAFT202012))

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        if not path.startswith(self.prefix):
            return None
        path = path[len(self.prefix):] or "/"
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return template, item[method.lower()]
        return None

    def _pointer(self, *parts: str) -> str:
        return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)

    @functools.cache
    def validator(self, schema_pointer: str) -> Any:
        from jsonschema import Draft202012Validator

        return Draft202012Validator({"$ref": f"urn:{self.name}{schema_pointer}"},
                                    registry=self.registry)

    def validate(self, schema_pointer: str, body: Any) -> list[str]:
        validator = self.validator(schema_pointer)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
                for e in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))]

    def response_pointer(self, template: str, method: str, status: int) -> str | None:
        responses = self.doc["paths"][template][method.lower()]["responses"]
        key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
        if key is None:
            return None
        resp, parts = responses[key], ["paths", template, method.lower(), "responses", key]
        while "$ref" in resp:  # a response object by reference
            ref = resp["$ref"].removeprefix("#/").split("/")
            parts = [p.replace("~1", "/").replace("~0", "~") for p in ref]
            resp = functools.reduce(lambda node, p: node[p], parts, self.doc)
        if "application/json" not in (resp.get("content") or {}):
            return ""  # documented, without a body schema
        return self._pointer(*parts, "content", "application/json", "schema")

    def request_pointer(self, template: str, method: str) -> str | None:
        op = self.doc["paths"][template][method.lower()]
        if "application/json" not in (op.get("requestBody") or {}).get("content", {}):
            return None
        return self._pointer("paths", template, method.lower(), "requestBody", "content",
                             "application/json", "schema")


@functools.cache
def contracts(directory: Path = SPEC_DIR) -> tuple[Contract, ...] | None:
    """The REST and Events contracts, or None when the specs are not available."""
    if not directory.is_dir():
        return None
    files = spec_files(directory)
    if set(files) != {"rest", "events"}:
        return None
    out = []
    for name, prefix in (("rest", ""), ("events", "/v2")):
        spec = json.loads(files[name].read_text(encoding="utf-8"))
        if name == "rest":
            spec = patch_quirks(spec)
        out.append(Contract(f"pd-{name}", _convert_document(spec), prefix))
    return tuple(out)


def check_exchange(x: Any, found: tuple[Contract, ...]) -> list[str]:
    """Problems with one recorded exchange (empty when it follows the spec)."""
    where = f"{x.method} {x.path} -> {x.status}"
    match = next(((c, *op) for c in found if (op := c.operation(x.method, x.path))), None)
    if match is None:
        return [f"{where}: no such operation in PagerDuty's spec"]
    contract, template, _ = match
    problems = []
    req = contract.request_pointer(template, x.method)
    if req and isinstance(x.request_body, (dict, list)):
        problems += [f"{where}: request {e}" for e in contract.validate(req, x.request_body)]
    if x.status is None or getattr(x, "mutated", False) or x.injected and x.status >= 500:
        return problems  # dropped, mutated on purpose or an injected server error: nothing to check
    try:
        body = json.loads(x.raw)
    except ValueError:
        return problems if x.injected else problems + [f"{where}: body is not JSON"]
    pointer = contract.response_pointer(template, x.method, x.status)
    if pointer is None and x.status >= 400:
        pointer = contract.error_pointer  # PagerDuty answers errors the spec does not list
    if pointer is None:
        return problems + [f"{where}: status {x.status} is not documented for {template}"]
    if pointer:
        problems += [f"{where}: {e}" for e in contract.validate(pointer, body)]
    return problems


def check_exchanges(exchanges: list[Any]) -> int:
    """Validate every exchange; raises AssertionError listing problems. Returns how many were
    checked (0 when the specs are unavailable outside CI)."""
    found = contracts()
    if found is None:
        if IN_CI:
            raise AssertionError(f"PagerDuty OpenAPI specs not found in {SPEC_DIR} (CI=true)")
        return 0
    problems = [p for x in list(exchanges) for p in check_exchange(x, found)]
    assert not problems, "simulator answers that break PagerDuty's spec:\n" + "\n".join(problems[:40])
    return len(exchanges)
