"""Grafana's unit IDs, as Grafana itself defines them.

Taken from the value formats Grafana registers (``packages/grafana-data/src/valueFormats/
categories.ts``), for the categories a service dashboard uses: Misc, Data (IEC and metric),
Data rate, Time and Throughput. grafana-foundation-sdk's generated unit constants are not a
source of truth: some are garbled (its "bits SI" constant is ``bydecbitstes``; Grafana's ID is
``decbits``), so export and validation check unit IDs against this list instead.
"""

from __future__ import annotations

GRAFANA_UNITS: dict[str, str] = {
    # Misc
    "none": "none", "string": "String", "short": "short", "percent": "Percent (0-100)",
    "percentunit": "Percent (0.0-1.0)", "humidity": "Humidity (%H)", "dB": "Decibel",
    "hex0x": "Hexadecimal (0x)", "hex": "Hexadecimal", "sci": "Scientific notation",
    "locale": "Locale format", "pixel": "Pixels",
    # Data (IEC)
    "bits": "bits(IEC)", "bytes": "bytes(IEC)", "kbytes": "kibibytes", "mbytes": "mebibytes",
    "gbytes": "gibibytes", "tbytes": "tebibytes", "pbytes": "pebibytes",
    # Data (metric)
    "decbits": "bits(Metric)", "decbytes": "bytes(Metric)", "deckbytes": "kilobytes",
    "decmbytes": "megabytes", "decgbytes": "gigabytes", "dectbytes": "terabytes",
    "decpbytes": "petabytes",
    # Data rate
    "pps": "packets/sec", "bps": "bits/sec", "Bps": "bytes/sec", "KBs": "kilobytes/sec",
    "Kbits": "kilobits/sec", "MBs": "megabytes/sec", "Mbits": "megabits/sec",
    "GBs": "gigabytes/sec", "Gbits": "gigabits/sec", "TBs": "terabytes/sec",
    "Tbits": "terabits/sec", "PBs": "petabytes/sec", "Pbits": "petabits/sec",
    # Time
    "hertz": "Hertz (1/s)", "ns": "nanoseconds (ns)", "µs": "microseconds (µs)",
    "ms": "milliseconds (ms)", "s": "seconds (s)", "m": "minutes (m)", "h": "hours (h)",
    "d": "days (d)", "dtdurationms": "duration (ms)", "dtdurations": "duration (s)",
    "dthms": "duration (hh:mm:ss)", "dtdhms": "duration (d hh:mm:ss)",
    "timeticks": "Timeticks (s/100)", "clockms": "clock (ms)", "clocks": "clock (s)",
    # Throughput
    "cps": "counts/sec (cps)", "ops": "ops/sec (ops)", "reqps": "requests/sec (rps)",
    "rps": "reads/sec (rps)", "wps": "writes/sec (wps)", "iops": "I/O ops/sec (iops)",
    "cpm": "counts/min (cpm)", "opm": "ops/min (opm)", "rpm": "reads/min (rpm)",
    "wpm": "writes/min (wpm)",
}

# How the terminal prints a value of each unit the catalog uses: (suffix, scale).
TERMINAL: dict[str, tuple[str, float]] = {
    "percent": ("%", 1.0), "percentunit": ("%", 100.0), "s": ("s", 1.0), "ms": ("ms", 1.0),
    "reqps": ("/s", 1.0), "ops": ("/s", 1.0), "cps": ("/s", 1.0), "Bps": ("B/s", 1.0),
    "bytes": ("B", 1.0), "decbytes": ("B", 1.0), "short": ("", 1.0), "none": ("", 1.0),
}


def is_unit(unit: str) -> bool:
    """Whether ``unit`` is one of Grafana's unit IDs (as listed here)."""
    return unit in GRAFANA_UNITS
