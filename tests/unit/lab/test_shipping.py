"""Bulk shipping of log records, with the client swapped for a recorder."""

from __future__ import annotations

import io
import json
import logging

from aiops.lab.shipping import BulkShipper, ShipTarget

TARGET = ShipTarget("opensearch", "http://127.0.0.1:1", "logs-sim-lab")


def _record(doc):
    return logging.LogRecord("active_inference.core", logging.INFO, __file__, 1, json.dumps(doc), None, None)


def test_records_are_bulk_created_with_a_timestamp():
    sent = []

    def bulk(client, actions, **kwargs):
        assert kwargs == {"raise_on_error": False, "raise_on_exception": False}
        sent.extend(actions)
        return len(actions), []

    shipper = BulkShipper(TARGET, interval=0.05, client_factory=lambda t: (object(), bulk))
    for i in range(3):
        shipper.emit(_record({"timestamp": f"2026-01-01T00:00:0{i}.000Z", "message": f"m{i}"}))
    shipper.close()
    assert [a["_source"]["message"] for a in sent] == ["m0", "m1", "m2"]
    assert all(a["_op_type"] == "create" and a["_index"] == "logs-sim-lab" for a in sent)
    assert sent[0]["_source"]["@timestamp"] == "2026-01-01T00:00:00.000Z"
    assert shipper.status()["shipped"] == 3 and shipper.status()["last_error"] is None


def test_failures_are_counted_and_reported_once():
    stderr = io.StringIO()

    def factory(target):
        raise ConnectionError("connection refused")

    shipper = BulkShipper(TARGET, interval=0.05, client_factory=factory, stderr=stderr)
    for _ in range(2):
        shipper.emit(_record({"timestamp": "t", "message": "m"}))
    shipper.close()
    status = shipper.status()
    assert status["failed"] == 2 and "ConnectionError: connection refused" in status["last_error"]
    assert stderr.getvalue().count("warning: shipping logs to http://127.0.0.1:1 failed") == 1


def test_rejected_items_are_failures():
    def bulk(client, actions, **kwargs):
        return len(actions) - 1, [{"create": {"status": 400, "error": {"type": "mapper_parsing_exception",
                                                                       "reason": "failed to parse"}}}]

    shipper = BulkShipper(TARGET, interval=0.05, client_factory=lambda t: (object(), bulk),
                          stderr=io.StringIO())
    shipper.emit(_record({"timestamp": "t"}))
    shipper.emit(_record({"timestamp": "t"}))
    shipper.close()
    assert shipper.status()["shipped"] == 1 and shipper.status()["failed"] == 1
    assert shipper.status()["last_error"] == ("1 of 2 records rejected: "
                                              "HTTP 400: mapper_parsing_exception: failed to parse")
