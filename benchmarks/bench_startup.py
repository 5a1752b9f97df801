"""Start-up time: `aiops --version` and `aiops --help` beside `python -c pass`, one run.

    python benchmarks/bench_startup.py [--runs 30]

Bars: --version median <= 120 ms, --help median <= 250 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARS = {"aiops --version": 0.120, "aiops --help": 0.250}


def median_time(cmd: list[str], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs + 2):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    samples = samples[2:]  # warm the page cache first
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    # byte-compiled as an installed package is (pip compiles at install): a stale .pyc would
    # time the compiler, not aiops
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "aiops")], check=True,
                   stdout=subprocess.DEVNULL)
    exe = shutil.which("aiops", path=str(Path(sys.executable).parent)) or "aiops"
    rows = [("python -c pass", [sys.executable, "-c", "pass"]),
            ("aiops --version", [exe, "--version"]),
            ("aiops --help", [exe, "--help"]),
            ("aiops health check --help", [exe, "health", "check", "--help"])]
    print(f"{'command':<28}{'median ms':>10}{'max ms':>9}{'bar ms':>8}  verdict")
    failed = False
    for name, cmd in rows:
        med, worst = median_time(cmd, args.runs)
        bar = BARS.get(name)
        verdict = "-" if bar is None else ("ok" if med <= bar else "OVER")
        failed |= verdict == "OVER"
        print(f"{name:<28}{med * 1000:>10.1f}{worst * 1000:>9.1f}"
              f"{'' if bar is None else f'{bar * 1000:.0f}':>8}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
