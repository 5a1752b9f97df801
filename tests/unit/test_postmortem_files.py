"""File names from date + incident (no path tricks), atomic writes, no overwrite without --force."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from aiops.core.errors import UsageError
from aiops.postmortem import new
from aiops.postmortem.writer import atomic_write, file_stem, refuse_existing, slugify, target
from tests.fakes.postmortem_sources import NOW, sources

DAY = dt.date(2026, 1, 28)


@pytest.mark.parametrize("title, slug", [
    ("Sim Lab API is down!", "sim-lab-api-is-down"),
    ("../../etc/passwd", "etc-passwd"),
    ("..", "incident"),
    ("/abs/path\\win\\path", "abs-path-win-path"),
    (".hidden", "hidden"),
    ("Ünïcödé — latency", "unicode-latency"),
    ("a\x00b\nc\td", "a-b-c-d"),
    ("", "incident"),
    ("x" * 200, "x" * 60),
])
def test_slugify_leaves_only_safe_characters(title, slug):
    assert slugify(title) == slug


def test_file_stem_prefers_the_incident_number_then_id_then_title():
    assert file_stem(DAY, number=42, incident_id="Q1AB", title="t") == "2026-01-28-incident-42"
    assert file_stem(DAY, incident_id="Q1AB/../x") == "2026-01-28-q1ab-x"
    assert file_stem(DAY, title="../../etc/passwd") == "2026-01-28-etc-passwd"


@pytest.mark.parametrize("name", ["../x.md", "a/b.md", ".hidden.md", "", "a\\b.md", "x\0.md"])
def test_target_refuses_names_that_leave_the_directory(tmp_path, name):
    with pytest.raises(UsageError, match="unsafe file name"):
        target(tmp_path, name)


def test_atomic_write_never_overwrites_without_force(tmp_path):
    path = tmp_path / "pm.md"
    atomic_write(path, b"first")
    with pytest.raises(UsageError, match="already exists") as err:
        atomic_write(path, b"second")
    assert err.value.exit_code == 2 and "--force" in err.value.hint
    assert path.read_bytes() == b"first"
    atomic_write(path, b"third", force=True)
    assert path.read_bytes() == b"third"
    assert os.listdir(tmp_path) == ["pm.md"]  # no temporary file left behind
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_refuse_existing_names_the_file_and_symlinks_count(tmp_path):
    (tmp_path / "link.md").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="link.md already exists"):
        refuse_existing([tmp_path / "free.md", tmp_path / "link.md"], force=False)
    refuse_existing([tmp_path / "link.md"], force=True)


def test_new_refuses_an_existing_document_then_force_replaces_it(tmp_path):
    first = new(sources(), incident_ref="42", out_dir=tmp_path, now=NOW, charts=False)
    assert first.path == str(tmp_path / "2026-01-28-incident-42.md")
    with open(first.path, "a") as fh:
        fh.write("human edits\n")
    with pytest.raises(UsageError, match="already exists"):
        new(sources(), incident_ref="42", out_dir=tmp_path, now=NOW, charts=False)
    assert open(first.path).read().endswith("human edits\n")
    new(sources(), incident_ref="42", out_dir=tmp_path, now=NOW, charts=False, force=True)
    assert "human edits" not in open(first.path).read()
    assert sorted(os.listdir(tmp_path)) == ["2026-01-28-incident-42.md"]


def test_a_hostile_title_cannot_choose_the_path(tmp_path):
    out = tmp_path / "out"
    result = new(sources(incident=None), since=dt.datetime(2026, 1, 28, 9, tzinfo=dt.timezone.utc),
                 until=dt.datetime(2026, 1, 28, 11, tzinfo=dt.timezone.utc),
                 title="../../../../tmp/evil\n## Injected", out_dir=out, now=NOW, charts=False)
    assert os.path.dirname(result.path) == str(out)
    assert os.path.basename(result.path) == "2026-01-28-tmp-evil-injected.md"
    text = open(result.path).read()
    assert "\n## Injected" not in text


def test_out_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory|cannot create"):
        new(sources(), incident_ref="42", out_dir=tmp_path / "file", now=NOW, charts=False)
