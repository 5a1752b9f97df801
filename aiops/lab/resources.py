"""Disk I/O and container usage from the kernel's own accounting (Linux).

- Process disk I/O: ``read_bytes`` / ``write_bytes`` of ``/proc/self/io`` (through psutil):
  bytes this process caused to be fetched from or sent to the storage layer, all threads.
- Container usage: the process's cgroup, found through ``/proc/self/cgroup`` and
  ``/proc/self/mountinfo``. cgroup v2 (``cpu.stat`` usage_usec, ``memory.current``,
  ``memory.max``, ``cpu.max``) where the v2 hierarchy has the file; the cgroup v1 controllers
  (``cpuacct.usage``, ``memory.usage_in_bytes``, ``memory.limit_in_bytes``,
  ``cpu.cfs_quota_us``) where it does not (hybrid hosts keep memory in v1).

Whatever the machine does not account is absent (``None``), never zero: a panel with no data
says so, a zero would lie. An unlimited limit ("max", or v1's page-rounded 2^63) is absent too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

UNLIMITED = 1 << 60


def _read(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None


def process_io() -> tuple[int, int] | None:
    """(bytes read, bytes written) from storage by this process, or None when not accounted."""
    import psutil

    try:
        counters = psutil.Process().io_counters()
    except (AttributeError, psutil.Error, OSError):
        return None
    return int(counters.read_bytes), int(counters.write_bytes)


@dataclass
class Cgroup:
    """Where this process's cgroup files are: the v2 directory and the v1 controller directories."""

    v2: str | None = None
    v1: dict[str, str] = field(default_factory=dict)  # controller -> directory

    @classmethod
    def discover(cls, proc: str = "/proc/self") -> "Cgroup":
        """Read the process's cgroup membership and the mount table."""
        membership = _read(f"{proc}/cgroup") or ""
        mounts = _read(f"{proc}/mountinfo") or ""
        paths: dict[str, str] = {}  # "" for v2, else the v1 controller
        for line in membership.splitlines():
            parts = line.split(":", 2)
            if len(parts) == 3:
                for controller in (parts[1].split(",") if parts[1] else [""]):
                    paths[controller] = parts[2]
        found = cls()
        for line in mounts.splitlines():
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) < 5 or len(tail) < 3:
                continue
            root, mount_point, fstype = fields[3], fields[4], tail[0]
            if fstype == "cgroup2" and "" in paths:
                found.v2 = _join(mount_point, root, paths[""])
            elif fstype == "cgroup":
                for controller in tail[2].split(","):
                    if controller in paths and controller not in found.v1:
                        found.v1[controller] = _join(mount_point, root, paths[controller])
        return found

    def _v2(self, name: str) -> str | None:
        return os.path.join(self.v2, name) if self.v2 else None

    def _v1(self, controller: str, name: str) -> str | None:
        return os.path.join(self.v1[controller], name) if controller in self.v1 else None

    def cpu_seconds(self) -> float | None:
        """CPU time used by the cgroup, seconds."""
        stat = _read(self._v2("cpu.stat"))
        for line in (stat or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec" and value.isdigit():
                return int(value) / 1e6
        usage = _read(self._v1("cpuacct", "cpuacct.usage"))
        return int(usage) / 1e9 if usage and usage.isdigit() else None

    def memory_bytes(self) -> int | None:
        """Memory charged to the cgroup, bytes."""
        for raw in (_read(self._v2("memory.current")), _read(self._v1("memory", "memory.usage_in_bytes"))):
            if raw and raw.isdigit():
                return int(raw)
        return None

    def memory_limit_bytes(self) -> int | None:
        """The cgroup's memory limit, bytes; None when unlimited or unknown."""
        for raw in (_read(self._v2("memory.max")), _read(self._v1("memory", "memory.limit_in_bytes"))):
            if raw and raw.isdigit():
                return int(raw) if int(raw) < UNLIMITED else None
            if raw == "max":
                return None
        return None

    def cpu_limit_cores(self) -> float | None:
        """The cgroup's CPU quota in cores; None when unlimited or unknown."""
        raw = _read(self._v2("cpu.max"))
        if raw:
            quota, _, period = raw.partition(" ")
            return int(quota) / int(period) if quota.isdigit() and period.isdigit() and int(period) else None
        quota, period = _read(self._v1("cpu", "cpu.cfs_quota_us")), _read(self._v1("cpu", "cpu.cfs_period_us"))
        if quota and period and quota.isdigit() and period.isdigit() and int(period):
            return int(quota) / int(period)
        return None

    @property
    def version(self) -> str | None:
        """"v2", "v1", "hybrid" (both in use) or None."""
        if self.v2 and self.v1:
            return "hybrid"
        return "v2" if self.v2 else "v1" if self.v1 else None


def _join(mount_point: str, root: str, path: str) -> str:
    """The directory of cgroup ``path`` under a mount of hierarchy ``root``."""
    if root != "/" and (path == root or path.startswith(root.rstrip("/") + "/")):
        path = path[len(root):]
    return os.path.normpath(os.path.join(mount_point, path.lstrip("/")))
