"""Byte-level line filtering and the bounded-memory sort behind the file backend."""

from __future__ import annotations

import gzip
import json
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.logs import scan
from aiops.logs.sorting import external_sort


def _naive(data: bytes, needles: list[bytes]) -> list[tuple[int, bytes]]:
    out, offset = [], 0
    for raw in data.split(b"\n"):
        line = raw.rstrip(b"\r")
        if any(n in raw for n in needles):
            out.append((offset, line))
        offset += len(raw) + 1
    return [(o, line) for o, line in out if o < len(data)]


@pytest.fixture(params=[64, 128, 1024])
def tiny_chunks(monkeypatch, request):
    """Chunks and segments of a few bytes, so every seam case occurs in a small file."""
    monkeypatch.setattr(scan, "CHUNK", 32)
    monkeypatch.setattr(scan, "OVERLAP", 16)
    monkeypatch.setattr(scan, "SEGMENT", request.param)
    monkeypatch.setattr(scan, "_local", type(scan._local)())  # buffers sized for the new chunk


@pytest.mark.parametrize("workers", [1, 2])
def test_matches_a_naive_line_filter_across_chunk_and_segment_seams(tmp_path, tiny_chunks, workers):
    rnd = random.Random(3)
    lines = []
    for i in range(400):
        body = "x" * rnd.choice([0, 5, 40, 70, 300])  # some lines are longer than a chunk
        tag = rnd.choice(["NEEDLE", "needle", "NEE", "other", "NEEDLE NEEDLE"])
        lines.append(f"{i} {body} {tag} {body[:7]}")
    data = ("\r\n".join(lines[:10]) + "\n" + "\n".join(lines[10:])).encode()  # CRLF, no final \n
    path = tmp_path / "a.log"
    path.write_bytes(data)
    for needles in ([b"NEEDLE"], [b"NEEDLE", b"other"], [b"x" * 12], [b" "]):  # " ": every line
        got = list(scan.matching_lines(str(path), needles, workers=workers))
        assert got == _naive(data, needles)


def test_gzip_and_plain_give_the_same_lines_and_offsets(tmp_path):
    lines = [json.dumps({"i": i, "correlation_id": "req-7" if i % 9 == 0 else "req-8"})
             for i in range(5000)]
    data = ("\n".join(lines) + "\n").encode()
    plain, packed = tmp_path / "a.jsonl", tmp_path / "a.jsonl.1"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))  # detected by magic bytes, not by name
    needle = [scan.needle_for("req-7")]
    assert list(scan.matching_lines(str(plain), needle)) == \
        list(scan.matching_lines(str(packed), needle)) == _naive(data, needle)


def test_truncated_gzip_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-20])
    with pytest.raises(scan.CorruptFile):
        list(scan.matching_lines(str(path), [b"a"]))


def test_every_line_when_there_is_no_needle(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"one\r\ntwo\n\nthree")
    assert list(scan.matching_lines(str(path), None)) == [(0, b"one"), (5, b"two"), (9, b""),
                                                         (10, b"three")]


def test_empty_file(tmp_path):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    assert list(scan.matching_lines(str(path), [b"x"])) == []


_ENCODERS = [
    lambda s: json.dumps(s),
    lambda s: json.dumps(s, ensure_ascii=False),
    lambda s: json.dumps(s).replace("/", "\\/"),  # PHP / some Java encoders
    lambda s: json.dumps(s).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_the_needle_is_in_every_json_encoding_of_the_id(value):
    needle = scan.needle_for(value)
    for encode in _ENCODERS:
        encoded = encode(value).encode("utf-8")
        assert needle is None or needle in encoded


def test_plain_ids_are_searched_with_their_quotes():
    assert scan.needle_for("req-12345") == b'"req-12345"'
    assert scan.needle_for('a"b') in (b"a", b"b")
    assert scan.needle_for("ü") is None


def test_external_sort_spills_runs_and_merges_them_in_order(tmp_path):
    rnd = random.Random(1)
    items = [((rnd.randrange(1000), rnd.randrange(3), i), b"line %d" % i) for i in range(2500)]
    out = list(external_sort(iter(items), run=300, tmpdir=str(tmp_path)))
    assert out == sorted(items)
    assert os.listdir(tmp_path) == []  # the spill directory is removed


def test_external_sort_cleans_up_when_abandoned(tmp_path):
    items = (((i % 7, 0, i), b"x") for i in range(1000))
    gen = external_sort(items, run=100, tmpdir=str(tmp_path))
    next(gen)
    assert os.listdir(tmp_path)  # spilled
    gen.close()
    assert os.listdir(tmp_path) == []
