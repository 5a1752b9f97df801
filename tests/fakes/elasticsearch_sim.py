"""An Elasticsearch 8.x or 9.x simulator: a real HTTP server on 127.0.0.1 (aiohttp in a thread).

It speaks the wire contract the official ``elasticsearch`` clients rely on, as the server
``version`` it is given does: ``X-Elastic-Product: Elasticsearch`` on responses,
``compatible-with`` media types (a server of major N accepts N and N-1, as Elasticsearch's REST
API compatibility does; anything else is the real 400 media_type_header_exception, e.g. an 8.x
server's "Accept version must be either version 8 or 7, but found 9"), ``_bulk``, index
creation, ``_field_caps``, ``_pit`` open/close, ``_search`` with ``pit`` + ``sort`` +
``search_after`` (including ``_shard_doc``), terms/min/max aggregations, index patterns
such as ``logs-*``, and the error bodies for 400, 401, 403, 404 index_not_found and 429.
tests/unit/logs/test_logs_es_contract.py validates its responses against Elastic's
published OpenAPI spec.

    with ElasticsearchSim(version="8.19.3") as es:
        es.create_index("logs-a", {"properties": {"timestamp": {"type": "date"}}})
        es.load("logs-a", records)
        es.fail_next(429, count=2)          # the next two requests are rejected
        ... Elasticsearch(es.url) ...

Run ``python -m tests.fakes.elasticsearch_sim`` for a separate process: the first stdout
line is JSON with its url; it exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import re
import sys
import threading
import time
import uuid
from typing import Any, Callable

from tests.fakes.elasticsearch_engine import (Doc, EsError, Index, bad_request, flatten_mappings,
                                              resolve)
from tests.fakes.elasticsearch_results import field_caps

VERSION = "9.1.3"  # the default server version
VERSIONS = ("8.19.3", "9.1.3")  # what the logs tests run against: the last 8.x and a 9.x
# What GET / says besides the number, per major version (from the real servers' answers).
_BUILD = {8: {"lucene_version": "9.12.2", "minimum_wire_compatibility_version": "7.17.0",
              "minimum_index_compatibility_version": "7.0.0",
              "build_hash": "ab7b4e3be2fef9b56c6e1b8b73c8c5ac0edb1aa0",
              "build_date": "2025-08-26T14:28:09.312727432Z"},
          9: {"lucene_version": "10.2.2", "minimum_wire_compatibility_version": "8.19.0",
              "minimum_index_compatibility_version": "8.0.0",
              "build_hash": "0c781091a2f57de895a73a1391ff8426c0153c8d",
              "build_date": "2025-08-01T10:00:00.000000000Z"}}
_COMPAT = re.compile(r"compatible-with\s*=\s*(\d+)")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_VALID_INDEX = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")


class ElasticsearchSim:
    """The server plus the knobs tests turn (credentials, injected failures, delay)."""

    def __init__(self, *, api_key: str | None = None, users: dict[str, str] | None = None,
                 forbidden: set[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 port: int = 0, ssl_context: Any = None, version: str = VERSION) -> None:
        self.version = version
        self.major = int(version.split(".")[0])
        if self.major not in _BUILD:
            raise ValueError(f"no simulated Elasticsearch {version}")
        self.api_key = api_key  # the encoded key clients send as "ApiKey <key>"
        self.users = dict(users or {})
        self.forbidden = set(forbidden or ())  # users that authenticate but may not read
        self.clock = clock
        self.port = port
        self.ssl_context = ssl_context  # serve https with this server context
        self.delay = 0.0
        self.product: str | None = "Elasticsearch"  # None: behave like a server that is not ES
        self.indices: dict[str, Index] = {}
        self.pits: dict[str, dict[str, Any]] = {}
        self.faults: list[dict[str, Any]] = []
        self.requests: collections.deque = collections.deque(maxlen=2000)
        self.responses: collections.deque = collections.deque(maxlen=2000)
        self.pits_opened = 0
        self._lock = threading.RLock()
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> "ElasticsearchSim":
        from aiohttp import web

        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application(client_max_size=2 ** 31)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", self.port, ssl_context=self.ssl_context)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="elasticsearch-sim", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Elasticsearch simulator did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = self._thread = None

    def __enter__(self) -> "ElasticsearchSim":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- test helpers (no HTTP) ---------------------------------------------------------
    def create_index(self, name: str, mappings: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._create(name, {"mappings": mappings or {}})

    def load(self, name: str, records: Any) -> int:
        """Index ``records`` (dicts) into ``name`` in order; returns how many were stored."""
        with self._lock:
            index = self.indices.get(name) or self._create(name, {})
            count = 0
            for record in records:
                self._store(index, None, record)
                count += 1
            return count

    def fail_next(self, status: int = 429, *, count: int = 1, path: str | None = None) -> None:
        """Answer the next ``count`` requests (whose path contains ``path``) with an error."""
        self.faults.append({"status": status, "count": count, "path": path})

    @property
    def open_pits(self) -> int:
        with self._lock:
            self._expire()
            return len(self.pits)

    # --- HTTP -------------------------------------------------------------------------
    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.read()
        self.requests.append((request.method, request.path_qs, dict(request.headers)))
        compat = _compat_version(request.headers)
        try:
            _check_media_types(request.headers, self.major)
            user = self._authenticate(request.headers, request.path)
            fault = self._take_fault(request.path)
            if fault is not None:
                raise fault
            if self.delay:
                await asyncio.sleep(self.delay)
            with self._lock:
                self._expire()
                status, payload, op = self._route(request.method, request.path, request.query,
                                                  body, user)
        except EsError as exc:
            status, payload, op = exc.status, exc.body, "error"
        except (ValueError, KeyError, TypeError) as exc:
            err = bad_request(f"failed to parse request: {exc}", "x_content_parse_exception")
            status, payload, op = err.status, err.body, "error"
        self.responses.append((op, status, payload))
        headers = {"Content-Type": f"application/vnd.elasticsearch+json;compatible-with={compat}"
                   if compat else "application/json"}
        if status not in (401, 403) and self.product:
            headers["X-Elastic-Product"] = self.product
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="security", charset="UTF-8", ApiKey'
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

    def _authenticate(self, headers: Any, path: str) -> str | None:
        if not self.api_key and not self.users:
            return None
        auth = headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if not auth:
            raise EsError(401, "security_exception",
                          f"missing authentication credentials for REST request [{path}]",
                          header={"WWW-Authenticate": ['Basic realm="security"', "ApiKey"]})
        if scheme == "ApiKey" and self.api_key and value == self.api_key:
            return "api_key"
        if scheme == "Basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                user, password = "", None
            if self.users.get(user) == password:
                return user
            raise EsError(401, "security_exception",
                          f"unable to authenticate user [{user}] for REST request [{path}]")
        raise EsError(401, "security_exception", "unable to authenticate with provided "
                      "credentials and anonymous access is not allowed for this request")

    def _take_fault(self, path: str) -> EsError | None:
        for fault in self.faults:
            if fault["count"] > 0 and (fault["path"] is None or fault["path"] in path):
                fault["count"] -= 1
                if fault["count"] == 0:
                    self.faults.remove(fault)
                return _fault_error(fault["status"])
        return None

    def _route(self, method: str, path: str, query: Any, body: bytes, user: str | None
               ) -> tuple[int, Any, str]:
        parts = [p for p in path.split("/") if p]
        data = json.loads(body) if body and not parts[-1:] == ["_bulk"] else None
        if user in self.forbidden and parts and parts[0] != "_pit":
            raise EsError(403, "security_exception",
                          f"action [indices:data/read/search] is unauthorized for user [{user}] "
                          "with effective roles [] on indices [" + (parts[0] if parts else "") +
                          "], this action is granted by the index privileges [read,all]")
        if not parts:
            return 200, self._info(), "info"
        head, tail = parts[0], parts[1:]
        if head == "_bulk" or tail == ["_bulk"]:
            return 200, self._bulk(None if head == "_bulk" else head, body, query), "bulk"
        if head == "_pit" and method == "DELETE":
            return self._close_pit(data or {})
        if tail == ["_pit"] and method == "POST":
            return 200, self._open_pit(head, query), "open_point_in_time"
        if head in ("_search", "_field_caps", "_refresh") or (tail and tail[0].startswith("_")):
            target = None if head.startswith("_") else head
            action = head if head.startswith("_") else tail[0]
            if action == "_search":
                return 200, self._search(target, query, data or {}), "search"
            if action == "_field_caps":
                return 200, self._field_caps(target or "_all", query, data or {}), "field_caps"
            if action == "_refresh":
                shards = len(resolve(self.indices, target or "_all"))
                return 200, {"_shards": _shards(shards)}, "refresh"
        if not tail:
            if method == "PUT":
                self._create(head, data or {})
                return 200, {"acknowledged": True, "shards_acknowledged": True, "index": head}, \
                    "indices.create"
            if method == "DELETE":
                for ix in resolve(self.indices, head):
                    del self.indices[ix.name]
                return 200, {"acknowledged": True}, "indices.delete"
            if method == "HEAD":
                return (200 if head in self.indices else 404), None, "indices.exists"
        raise EsError(405, "illegal_argument_exception",
                      f"Incorrect HTTP method for uri [{path}] and method [{method}]")

    # --- operations ---------------------------------------------------------------------
    def _info(self) -> dict[str, Any]:
        return {"name": "sim-node-1", "cluster_name": "aiops-sim",
                "cluster_uuid": "sCj6oOmWRTyNbdXDtrHxIw",
                "version": {"number": self.version, "build_flavor": "default", "build_type": "docker",
                            "build_snapshot": False, **_BUILD[self.major]},
                "tagline": "You Know, for Search"}

    def _create(self, name: str, data: dict[str, Any]) -> Index:
        if not _VALID_INDEX.match(name) or name in (".", ".."):
            raise bad_request(f"Invalid index name [{name}], must be lowercase", "invalid_index_name_exception")
        if name in self.indices:
            raise EsError(400, "resource_already_exists_exception",
                          f"index [{name}/{self.indices[name].uuid}] already exists",
                          index=name, index_uuid=self.indices[name].uuid)
        props = (data.get("mappings") or {}).get("properties", {})
        index = Index(name, flatten_mappings(props), uuid=uuid.uuid4().hex[:22])
        self.indices[name] = index
        return index

    def _store(self, index: Index, doc_id: str | None, source: dict[str, Any]) -> tuple[str, str]:
        if not isinstance(source, dict):
            raise bad_request("failed to parse, document is empty", "document_parsing_exception")
        index.learn(source)
        self._seq += 1
        doc_id = doc_id or base64.urlsafe_b64encode(uuid.uuid4().bytes[:15]).decode()
        doc = Doc(doc_id, source, self._seq)
        if doc_id in index.by_id:
            index.docs[index.by_id[doc_id]] = doc
            return doc_id, "updated"
        index.by_id[doc_id] = len(index.docs)
        index.docs.append(doc)
        return doc_id, "created"

    def _bulk(self, default: str | None, body: bytes, query: Any) -> dict[str, Any]:
        lines = [line for line in body.split(b"\n") if line.strip()]
        items, errors, i = [], False, 0
        while i < len(lines):
            action = json.loads(lines[i])
            (op, meta), = action.items()
            if op not in ("index", "create"):
                raise bad_request(f"Malformed action/metadata line [{i + 1}], expected one of "
                                  "[create, delete, index, update] but found [" + op + "]")
            name = meta.get("_index", default)
            source = json.loads(lines[i + 1]) if i + 1 < len(lines) else None
            i += 2
            try:
                index = self.indices.get(name) or self._create(name, {})
                doc_id, result = self._store(index, meta.get("_id"), source)
                items.append({op: {"_index": name, "_id": doc_id, "_version": 1, "result": result,
                                   "_shards": _shards(1), "_seq_no": self._seq,
                                   "_primary_term": 1, "status": 201 if result == "created" else 200}})
            except EsError as exc:
                errors = True
                items.append({op: {"_index": name, "_id": meta.get("_id") or "", "status": exc.status,
                                   "error": {k: v for k, v in exc.body["error"].items()
                                             if k != "root_cause"}}})
        return {"errors": errors, "took": 1, "items": items}

    def _open_pit(self, target: str, query: Any) -> dict[str, Any]:
        if "keep_alive" not in query:
            raise bad_request("Validation Failed: 1: [keep_alive] is not specified;",
                              "action_request_validation_exception")
        keep = _duration(query["keep_alive"])
        indices = resolve(self.indices, target, allow_missing=query.get("ignore_unavailable") == "true")
        pit_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        self.pits[pit_id] = {"expires": self.clock() + keep, "cache": {},
                             "shards": [(ix, n, list(ix.docs)) for n, ix in enumerate(indices)]}
        self.pits_opened += 1
        return {"id": pit_id, "_shards": _shards(len(indices))}

    def _close_pit(self, data: dict[str, Any]) -> tuple[int, Any, str]:
        if not data.get("id"):
            raise bad_request("Validation Failed: 1: [id] must be specified;",
                              "action_request_validation_exception")
        freed = 1 if self.pits.pop(data["id"], None) else 0
        return (200 if freed else 404), {"succeeded": True, "num_freed": freed}, "close_point_in_time"

    def _expire(self) -> None:
        now = self.clock()
        for pit_id in [p for p, v in self.pits.items() if v["expires"] < now]:
            del self.pits[pit_id]

    def _field_caps(self, target: str, query: Any, data: dict[str, Any]) -> dict[str, Any]:
        fields = data.get("fields") or [f for f in query.get("fields", "").split(",") if f]
        if not fields:
            raise bad_request("Validation Failed: 1: specified fields can't be null or empty;",
                              "action_request_validation_exception")
        indices = resolve(self.indices, target, allow_missing=query.get("ignore_unavailable") == "true")
        return field_caps(indices, fields)

    def _search(self, target: str | None, query: Any, data: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.elasticsearch_sim_search import run_search

        return run_search(self, target, query, data)


def _shards(n: int) -> dict[str, int]:
    return {"total": n, "successful": n, "skipped": 0, "failed": 0}


def _duration(text: str) -> float:
    match = _DURATION.match(str(text))
    if not match:
        raise bad_request(f"failed to parse setting [keep_alive] with value [{text}] as a time value: "
                          "unit is missing or unrecognized", "illegal_argument_exception")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _compat_version(headers: Any) -> int | None:
    for name in ("Accept", "Content-Type"):
        match = _COMPAT.search(headers.get(name, ""))
        if match:
            return int(match.group(1))
    return None


def _check_media_types(headers: Any, major: int) -> None:
    """Refuse compatible-with versions the server does not speak, as Elasticsearch does:
    a server of major N accepts N and N-1 on Accept and Content-Type, and both must agree."""
    accept, content = (headers.get(name, "") for name in ("Accept", "Content-Type"))
    found = {"Accept": _COMPAT.search(accept), "Content-Type": _COMPAT.search(content)}
    if not any(found.values()):
        return
    for name, match in found.items():
        if match and int(match.group(1)) not in (major, major - 1):
            value = accept if name == "Accept" else content
            _media_type_error(f"{name} version must be either version {major} or {major - 1}, "
                              f"but found {match.group(1)}. {name}={value}")
    if accept and content and (found["Accept"] is None or found["Content-Type"] is None or
                               found["Accept"].group(1) != found["Content-Type"].group(1)):
        _media_type_error("A compatible version is required on both Content-Type and Accept headers "
                          "if either one has requested a compatible version and the compatible "
                          f"versions must match. Accept={accept}, Content-Type={content}")


def _media_type_error(reason: str) -> None:
    err = EsError(400, "media_type_header_exception",
                  "Invalid media-type value on headers [Accept, Content-Type]")
    err.body["error"]["caused_by"] = {"type": "status_exception", "reason": reason}
    raise err


def _fault_error(status: int) -> EsError:
    if status == 429:
        return EsError(429, "es_rejected_execution_exception",
                       "rejected execution of coordinating operation [coordinating_and_primary_"
                       "bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, "
                       "max_coordinating_and_primary_bytes=107374182]")
    if status == 503:
        return EsError(503, "cluster_block_exception",
                       "blocked by: [SERVICE_UNAVAILABLE/2/no master];")
    return EsError(status, "status_exception", f"simulated failure {status}")


def main() -> None:
    """``python -m tests.fakes.elasticsearch_sim``: serve until stdin closes."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--version", default=VERSION, help=f"server version, e.g. {', '.join(VERSIONS)}")
    args = parser.parse_args()
    with ElasticsearchSim(port=args.port, version=args.version) as sim:
        sys.stdout.write(json.dumps({"url": sim.url, "version": sim.version}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
