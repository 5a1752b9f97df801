"""Query DSL shared by the Elasticsearch and OpenSearch backends.

The correlation ID only ever appears as a ``term`` value: never inside query-string
syntax, so quotes, spaces, ``*``, ``?``, ``\\`` and ``:`` have no meaning. Which field to
query is read from ``_field_caps``: a ``keyword`` field, or the ``.keyword`` sub-field a
dynamic mapping creates for strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiops.core.errors import ConfigError
from aiops.logs.model import (
    CORRELATION_ID,
    ERROR_LEVEL_VALUES,
    LEVEL,
    LOGGER,
    MESSAGE,
    TIMESTAMP,
    ErrorGroup,
    epoch_ms,
    from_epoch_ms,
    rank_groups,
)

KEYWORD_TYPES = {"keyword", "constant_keyword", "wildcard"}
TEXT_TYPES = {"text", "match_only_text"}
DATE_TYPES = {"date", "date_nanos"}
LOGGER_BUCKETS = 1000  # every logger, so the top groups across loggers are exact
SAMPLE_IDS = 3
CAPS_FIELDS = [f for name in (TIMESTAMP, CORRELATION_ID, LEVEL, LOGGER, MESSAGE)
               for f in (name, name + ".keyword")]


@dataclass
class Fields:
    """Which mapped field to use for each logical field, resolved from ``_field_caps``."""

    index: str
    caps: dict[str, Any]

    @property
    def indices(self) -> list[str]:
        return list(self.caps.get("indices") or [])

    @property
    def id_terms(self) -> list[str]:
        """Fields an exact correlation ID lookup may hit."""
        return term_fields(self.caps, CORRELATION_ID)

    @property
    def level_terms(self) -> list[str]:
        return term_fields(self.caps, LEVEL)

    def agg(self, name: str) -> str | None:
        """The one field to aggregate ``name`` on (ConfigError if mappings disagree)."""
        return agg_field(self.caps, name, self.index)


def _types(caps: dict[str, Any], name: str) -> set[str]:
    return set(caps.get("fields", {}).get(name, {}))


def term_fields(caps: dict[str, Any], name: str) -> list[str]:
    """The exact-match (keyword) fields holding ``name``'s value, in any index."""
    return [f for f in (name, name + ".keyword") if _types(caps, f) & KEYWORD_TYPES]


def agg_field(caps: dict[str, Any], name: str, index: str) -> str | None:
    """One keyword field to aggregate ``name`` on across every index, or None if unmapped."""
    base, sub = _types(caps, name), _types(caps, name + ".keyword")
    if base and base <= KEYWORD_TYPES:
        return name
    if base and base <= TEXT_TYPES and sub and sub <= KEYWORD_TYPES:
        return name + ".keyword"
    if not base and not sub:
        return None
    raise ConfigError(f"field '{name}' is mapped as {', '.join(sorted(base | sub))} across "
                      f"'{index}'; grouping needs it as keyword in every index",
                      hint="map it as keyword (or text with a .keyword sub-field) everywhere")


def resolve_fields(caps: dict[str, Any], index: str, url: str) -> Fields:
    """Check the index pattern matches something with a date ``timestamp``; pick fields."""
    indices = list(caps.get("indices") or [])
    if not indices:
        raise ConfigError(f"no index matches '{index}' on {url}",
                          hint="set --index or logs.index to the pattern holding the service logs")
    ts = _types(caps, TIMESTAMP)
    if not ts:
        raise ConfigError(f"no '{TIMESTAMP}' field in the indices matching '{index}' on {url}",
                          hint="is this the index holding the structured service logs?")
    if not ts <= DATE_TYPES:
        raise ConfigError(f"'{TIMESTAMP}' is mapped as {', '.join(sorted(ts))} in '{index}', "
                          "not as a date")
    return Fields(index, caps)


def _any_term(fields: list[str], values: list[str]) -> dict[str, Any]:
    clauses = [{"terms": {f: values}} if len(values) > 1 else {"term": {f: {"value": values[0]}}}
               for f in fields]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def id_filter(fields: Fields, correlation_id: str, index: str) -> dict[str, Any]:
    if not fields.id_terms:
        raise ConfigError(f"'{CORRELATION_ID}' is not a keyword field in '{index}'",
                          hint="map it as keyword (or text with a .keyword sub-field)")
    return _any_term(fields.id_terms, [correlation_id])


def time_range(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {"range": {TIMESTAMP: {"gte": epoch_ms(start), "lte": epoch_ms(end),
                                  "format": "epoch_millis"}}}


def trace_query(match_id: dict[str, Any], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {"bool": {"filter": [match_id, time_range(start, end)]}}


def without_timestamp(match: dict[str, Any]) -> dict[str, Any]:
    """Records matching ``match`` that cannot be placed on a timeline."""
    return {"bool": {"filter": [match], "must_not": [{"exists": {"field": TIMESTAMP}}]}}


def trace_sort(tiebreak: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{TIMESTAMP: {"order": "asc"}}, *tiebreak]


def error_levels(fields: Fields, index: str) -> dict[str, Any]:
    if not fields.level_terms:
        raise ConfigError(f"'{LEVEL}' is not a keyword field in '{index}'")
    return _any_term(fields.level_terms, list(ERROR_LEVEL_VALUES))


def errors_body(fields: Fields, start: dt.datetime, end: dt.datetime, top: int,
                index: str) -> dict[str, Any]:
    """Size-0 search: error records in the window, terms by logger then message."""
    levels = error_levels(fields, index)
    logger, message, level = fields.agg(LOGGER), fields.agg(MESSAGE), fields.agg(LEVEL)
    if logger is None or message is None:
        missing = LOGGER if logger is None else MESSAGE
        raise ConfigError(f"no '{missing}' field in the indices matching '{index}'")
    per_group: dict[str, Any] = {
        "first": {"min": {"field": TIMESTAMP}}, "last": {"max": {"field": TIMESTAMP}},
        "levels": {"terms": {"field": level or LEVEL, "size": 10}}}
    ids = fields.agg(CORRELATION_ID)
    if ids:
        per_group["ids"] = {"terms": {"field": ids, "size": SAMPLE_IDS}}
    return {
        "size": 0, "track_total_hits": True,
        "query": {"bool": {"filter": [time_range(start, end), levels]}},
        "aggs": {"loggers": {"terms": {"field": logger, "size": LOGGER_BUCKETS},
                             "aggs": {"messages": {"terms": {"field": message, "size": top},
                                                   "aggs": per_group}}}},
    }


def parse_errors(response: dict[str, Any], top: int) -> list[ErrorGroup]:
    """The top groups from an :func:`errors_body` response."""
    groups = []
    for logger in response.get("aggregations", {}).get("loggers", {}).get("buckets", []):
        for msg in logger.get("messages", {}).get("buckets", []):
            levels: dict[str, int] = {}
            for b in msg.get("levels", {}).get("buckets", []):
                levels[str(b["key"]).upper()] = levels.get(str(b["key"]).upper(), 0) + b["doc_count"]
            groups.append(ErrorGroup(
                logger=str(logger["key"]), message=str(msg["key"]), count=msg["doc_count"],
                first_seen=from_epoch_ms(msg["first"]["value"]),
                last_seen=from_epoch_ms(msg["last"]["value"]), levels=levels,
                sample_correlation_ids=[str(b["key"]) for b in msg.get("ids", {}).get("buckets", [])]))
    return rank_groups(groups, top)


def total_hits(response: dict[str, Any]) -> int:
    total = response.get("hits", {}).get("total", 0)
    return total["value"] if isinstance(total, dict) else int(total)
