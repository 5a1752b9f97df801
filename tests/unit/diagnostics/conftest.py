"""A module of step functions written to a temporary directory for --target style loading."""

from __future__ import annotations

import sys
import textwrap

import pytest

STEPS_MODULE = textwrap.dedent('''
    KEPT = []

    def leak():
        KEPT.append(bytearray(4096))   # keeps what it allocates

    def clean():
        data = [bytearray(4096) for _ in range(4)]
        return len(data)

    def boom():
        raise ValueError("bad step")

    class Stepper:
        def __call__(self):
            return sum(range(100))

    stepper = Stepper()
    NOT_CALLABLE = 42
''')


@pytest.fixture
def steps_module(tmp_path, monkeypatch):
    """The name of an importable module with step functions (fresh for each test)."""
    name = f"diag_steps_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(STEPS_MODULE)
    (tmp_path / "diag_broken.py").write_text("raise RuntimeError('cannot import me')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)
