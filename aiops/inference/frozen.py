"""Read-only arrays and lists for an agent's own copy of its generative model.

An :class:`~aiops.inference.agent.Agent` precomputes from its model (log-likelihood
tables, compiled policies, expected utilities). An edit in place of one of the model's
arrays could not reach those caches, so the agent's copy is made of
:class:`FrozenArray` and :class:`FrozenList`: every edit in place raises
:class:`ReadOnlyModelError`, whose message names what to do instead (assign a new
array: ``agent.C = ...`` or ``agent.model = agent.model.replace(C=...)``), and
re-assignment takes effect. Copies (``x.copy()``, ``np.array(x)``, ``x * 2``) are
ordinary writable numpy arrays.
"""

from __future__ import annotations

import numpy as np

from aiops.core.errors import UsageError


class ReadOnlyModelError(UsageError, ValueError):
    """An edit in place of an agent's model, which would be silently ignored."""


def _read_only(where: str | None) -> ReadOnlyModelError:
    where = where or "agent.model"
    field = where.removeprefix("agent.model.").removeprefix("agent.").split("[")[0] or "A"
    return ReadOnlyModelError(
        f"{where} is read-only: the agent precomputes from its model, so an edit in place would be "
        f"ignored; assign a new value instead: agent.{field} = ... "
        f"(or agent.model = agent.model.replace({field}=...))"
    )


class FrozenArray(np.ndarray):
    """A read-only float array that says how to change it when written to.

    Views (slices, transposes) stay read-only; ufunc results and copies are plain
    ``numpy.ndarray``.
    """

    _where: str | None = None  # set by freeze_array (a view finds it on its base)

    def _name(self) -> str | None:
        """What this array is (``agent.model.C[0]``), for error messages."""
        array = self
        while array._where is None and isinstance(array.base, FrozenArray):
            array = array.base
        return array._where

    def __setitem__(self, key, value) -> None:
        if not self.flags.writeable:
            raise _read_only(self._name())
        super().__setitem__(key, value)

    def fill(self, value) -> None:
        """Refused on a frozen array (see :class:`ReadOnlyModelError`)."""
        if not self.flags.writeable:
            raise _read_only(self._name())
        super().fill(value)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:
            for o in out:
                if isinstance(o, FrozenArray) and not o.flags.writeable:
                    raise _read_only(o._name())
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, FrozenArray) else o for o in out)
        plain = tuple(np.asarray(x) if isinstance(x, FrozenArray) else x for x in inputs)
        return getattr(ufunc, method)(*plain, **kwargs)

    def copy(self, order: str = "C") -> np.ndarray:
        """A writable ``numpy.ndarray`` copy."""
        return np.array(self, order=order, copy=True, subok=False)

    def __copy__(self) -> np.ndarray:
        return self.copy()

    def __deepcopy__(self, memo) -> np.ndarray:
        return self.copy()

    def __reduce__(self):
        return np.asarray(self).copy().__reduce__()

    def __repr__(self) -> str:
        return repr(np.asarray(self))


class FrozenList(list):
    """A list that refuses edits in place (its items are frozen too)."""

    __slots__ = ("_where",)

    def __init__(self, items, where: str) -> None:
        super().__init__(items)
        self._where = where

    def _refuse(self, *args, **kwargs):
        raise _read_only(self._where)

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def copy(self) -> list:
        """A plain, editable (shallow) list."""
        return list(self)

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo) -> list:
        import copy

        return [copy.deepcopy(x, memo) for x in self]

    def __reduce__(self):
        return (list, (list(self),))


def freeze_array(x, where: str, dtype=np.float64, copy: bool = True) -> FrozenArray:
    """A read-only copy of ``x`` whose writes raise naming ``where``.

    ``copy=False`` freezes ``x`` itself when it is a plain array of that type (for
    arrays nobody else holds).
    """
    base = np.array(x, dtype=dtype, copy=True if copy else None, subok=False)
    base.setflags(write=False)
    out = base.view(FrozenArray)
    out._where = where
    return out


def freeze_view(x: np.ndarray, where: str) -> FrozenArray:
    """A view of ``x``, a read-only float array, as a :class:`FrozenArray` named ``where`` (no copy)."""
    out = x.view(FrozenArray)
    out._where = where
    return out


def freeze_arrays(xs, name: str) -> FrozenList | None:
    """``[freeze_array(x, "agent.model.<name>[i]")]`` as a :class:`FrozenList`."""
    if xs is None:
        return None
    return FrozenList([freeze_array(x, f"agent.model.{name}[{i}]") for i, x in enumerate(xs)],
                      f"agent.model.{name}")


def freeze_index_lists(lists, name: str) -> FrozenList:
    """Lists of factor indices (``A_factor_list``), frozen at both levels."""
    return FrozenList([FrozenList([int(f) for f in fs], f"agent.model.{name}[{i}]") for i, fs in enumerate(lists)],
                      f"agent.model.{name}")
