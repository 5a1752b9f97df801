"""Deterministic structured-log corpora (the runbook's format) for the ``aiops logs`` tests.

``corpus()`` is the differential data set: tricky correlation IDs, records sharing one
millisecond, levels in several spellings, records without a level, logger or timestamp,
and noise, over two days (one file / one index per day). ``bulk_records(n, cid)`` streams
many records for one ID, for the paging and memory tests.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path
from typing import Any, Iterable, Iterator

T0 = dt.datetime(2026, 1, 28, 10, 0, 0, tzinfo=dt.timezone.utc)
DAYS = ("2026.01.28", "2026.01.29")
LOGGERS = ("active_inference.core", "active_inference.api", "active_inference.training")
MESSAGES = ("Inference completed successfully", "Belief update diverged",
            "Model checkpoint saved", "Upstream timeout calling /predict")
TRICKY_IDS = ('we"ird id*?\\:x', "abc", "abc def", "ABC", "req-ümlaut", "req-1", "req-12",
              "a/b<c>&d", "req:12345", "*")
MAIN_IDS = ("req-alpha", "req-beta", *TRICKY_IDS)

# Explicit mapping for the Elasticsearch simulator (message as text with .keyword, like
# Filebeat's templates); OpenSearch gets only timestamp mapped and the rest dynamic.
ES_MAPPINGS = {"properties": {
    "timestamp": {"type": "date"}, "correlation_id": {"type": "keyword"},
    "level": {"type": "keyword"}, "logger": {"type": "keyword"},
    "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
    "user_id": {"type": "keyword"}, "model_id": {"type": "keyword"},
    "duration_ms": {"type": "long"}}}
OS_MAPPINGS = {"properties": {"timestamp": {"type": "date"}}}


def iso(when: dt.datetime, micro: bool = False) -> str:
    return when.isoformat(timespec="microseconds" if micro else "milliseconds").replace(
        "+00:00", "Z")


def record(when: Any, cid: str | None, level: str | None, logger: str | None,
           message: str | None, seq: int, **extra: Any) -> dict[str, Any]:
    """One record in the runbook's format (None leaves a field out)."""
    rec: dict[str, Any] = {}
    if when is not None:
        rec["timestamp"] = iso(when) if isinstance(when, dt.datetime) else when
    for key, value in (("level", level), ("logger", logger), ("message", message),
                       ("correlation_id", cid)):
        if value is not None:
            rec[key] = value
    rec.update({"user_id": f"user-{seq % 97:05d}", "model_id": "model-abc123",
                "duration_ms": seq % 500, "context": {"episode": seq % 7, "step": seq, "seq": seq}})
    rec.update(extra)
    return rec


def corpus(noise: int = 400, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """{day: records in file order} - the same set every run."""
    rnd = random.Random(seed)
    days: dict[str, list[dict[str, Any]]] = {d: [] for d in DAYS}
    seq = 0
    levels = ("INFO", "DEBUG", "WARN", "ERROR", "FATAL", "error", "INFO", "INFO")
    for day_no, day in enumerate(DAYS):
        base = T0 + dt.timedelta(days=day_no)
        events = []
        for n in range(noise):
            when = base + dt.timedelta(milliseconds=rnd.randrange(0, 3_600_000))
            events.append((when, f"req-{rnd.getrandbits(32):08x}", rnd.choice(levels)))
        for cid in MAIN_IDS:
            for n in range(12):
                when = base + dt.timedelta(seconds=rnd.randrange(0, 3600),
                                           milliseconds=rnd.randrange(0, 1000))
                events.append((when, cid, levels[(n + len(cid)) % len(levels)]))
        tie = base + dt.timedelta(minutes=30, milliseconds=123)
        events += [(tie, "req-alpha", lvl) for lvl in ("INFO", "WARN", "ERROR", "INFO", "DEBUG")]
        rnd.shuffle(events)  # log files are only roughly time-ordered
        for when, cid, level in events:
            seq += 1
            logger = LOGGERS[seq % len(LOGGERS)]
            message = MESSAGES[(seq // 3) % len(MESSAGES)]
            days[day].append(record(when, cid, level, logger, message, seq))
        # odd but valid records
        for cid in ("req-alpha", "req-beta"):
            seq += 1
            days[day].append(record(base + dt.timedelta(minutes=5, microseconds=123456), cid,
                                    "INFO", LOGGERS[0], "Microsecond timestamp", seq,
                                    timestamp=iso(base + dt.timedelta(minutes=5,
                                                                      microseconds=123456), True)))
            seq += 1
            days[day].append(record(None, cid, "ERROR", LOGGERS[1], "No timestamp here", seq))
            seq += 1
            days[day].append(record(base + dt.timedelta(minutes=7), cid, None, LOGGERS[2],
                                    "No level", seq))
            seq += 1
            days[day].append(record(base + dt.timedelta(minutes=8), cid, "ERROR", None,
                                    "No logger", seq))
            seq += 1
            local = (base + dt.timedelta(minutes=9)).astimezone(dt.timezone(dt.timedelta(hours=2)))
            days[day].append(record(None, cid, "FATAL", LOGGERS[0], "Offset timestamp", seq,
                                    timestamp=local.isoformat(timespec="milliseconds")))
    return days


def invalid_lines(ids: Iterable[str] = ("req-alpha", "req-beta")) -> list[bytes]:
    """Lines a file can hold but a cluster cannot: broken JSON mentioning an ID."""
    out = []
    for cid in ids:
        out.append(b'{"timestamp": "2026-01-28T10:10:00Z", "correlation_id": '
                   + json.dumps(cid).encode() + b', "level": "ERROR", "message": "trunc')
        out.append(b"Traceback (most recent call last): request " + json.dumps(cid).encode())
    return out


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, compress: bool = False,
                extra: Iterable[bytes] = (), ensure_ascii: bool = False) -> Path:
    """JSON lines (optionally gzip), ``extra`` raw lines appended."""
    opener = gzip.open if compress else open
    with opener(path, "wb") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=ensure_ascii).encode() + b"\n")
        for line in extra:
            fh.write(line + b"\n")
    return path


def bulk_records(n: int, cid: str, *, start: dt.datetime = T0, noise_every: int = 0
                 ) -> Iterator[dict[str, Any]]:
    """``n`` records for ``cid`` (``context.seq`` numbers them); optional noise between."""
    seq = 0
    for i in range(n):
        when = start + dt.timedelta(milliseconds=i // 3)  # three records share each ms
        level = "ERROR" if i % 50 == 0 else "INFO"
        yield record(when, cid, level, LOGGERS[i % 3], MESSAGES[i % 4], i)
        if noise_every and i % noise_every == 0:
            seq += 1
            yield record(when, f"noise-{seq}", "INFO", LOGGERS[0], MESSAGES[0], -seq)


def es_actions(index: str, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Records as ``helpers.bulk`` actions for one index, in order."""
    for rec in records:
        yield {"_index": index, "_source": rec}


def window(days: int = 2) -> tuple[dt.datetime, dt.datetime]:
    """A window covering the whole corpus."""
    return T0 - dt.timedelta(hours=1), T0 + dt.timedelta(days=days, hours=1)
