"""Generative models in ``.npz`` files: ``A0, A1, ...``, ``B0, ...``, optional ``C*``, ``D*``, ``E``,
``pA*``, ``pB*``, ``pD*``.

Optional ``A_factor_list`` and ``B_factor_list`` entries hold JSON text (e.g. ``[[0], [0, 1]]``).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.model import GenerativeModel

_KEY = re.compile(r"^(A|B|C|D|pA|pB|pD)(\d+)$")
_LISTS = ("A_factor_list", "B_factor_list")


def save_model(model: GenerativeModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (``.npz``) in the format :func:`load_model` reads."""
    arrays: dict[str, np.ndarray] = {}
    for key in ("A", "B", "C", "D", "pA", "pB", "pD"):
        for i, a in enumerate(getattr(model, key) or []):
            arrays[f"{key}{i}"] = a
    if model.E is not None:
        arrays["E"] = model.E
    for key in _LISTS:
        arrays[key] = np.array(json.dumps([list(fs) for fs in getattr(model, key)]))
    path = Path(path)
    np.savez(path, **arrays)
    return path


def load_model(path: str | Path) -> GenerativeModel:
    """Read a model from an ``.npz`` file; UsageError naming the file or the array on bad input.

    The model is not validated here: call :meth:`GenerativeModel.validate` (an Agent does).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"model file '{path}' does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            entries = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise UsageError(f"model file '{path}' is not a readable .npz archive ({exc})") from None
    lists: dict[str, dict[int, np.ndarray]] = {}
    for key, value in entries.items():
        m = _KEY.match(key)
        if m:
            lists.setdefault(m.group(1), {})[int(m.group(2))] = value
        elif key != "E" and key not in _LISTS:
            raise UsageError(f"model file '{path}': unexpected array '{key}' (expected A0.., B0.., C0.., D0.., E)")
    for key in ("A", "B"):
        if key not in lists:
            raise UsageError(f"model file '{path}' has no {key}0 array")
    ordered = {}
    for key, items in lists.items():
        missing = sorted(set(range(max(items) + 1)) - set(items))
        if missing:
            raise UsageError(f"model file '{path}' has {key}{max(items)} but no {key}{missing[0]}")
        ordered[key] = [items[i] for i in range(len(items))]
    factor_lists = {}
    for key in _LISTS:
        if key in entries:
            try:
                factor_lists[key] = json.loads(str(entries[key]))
            except ValueError:
                raise UsageError(f"model file '{path}': {key} is not JSON") from None
    return GenerativeModel(
        A=ordered["A"], B=ordered["B"], C=ordered.get("C"), D=ordered.get("D"), E=entries.get("E"),
        pA=ordered.get("pA"), pB=ordered.get("pB"), pD=ordered.get("pD"), name=path.name, **factor_lists,
    )
