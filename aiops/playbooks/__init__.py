"""Playbooks: YAML files that turn runbook alerts into ordered, executable steps.

    from aiops.playbooks import load_library

    library = load_library(cfg.get("playbooks.dir"))
    library.for_alert("MemoryLeak").steps

- :mod:`aiops.playbooks.model`: the file format and its dataclasses (``Playbook``, ``Step``).
- :mod:`aiops.playbooks.validation`: YAML parsing with line numbers, and every check.
- :mod:`aiops.playbooks.library`: the shipped playbooks (``library/``) and ``playbooks.dir``.
- :mod:`aiops.playbooks.steps`: the action registry and the runner.
"""

from aiops.playbooks.library import (
                                     FileCheck,
                                     Library,
                                     ValidationReport,
                                     check_file,
                                     check_text,
                                     load_file,
                                     load_library,
                                     playbook_files,
                                     shipped_dir,
                                     validate_files,
)
from aiops.playbooks.model import (
                                     KINDS,
                                     SEVERITIES,
                                     Condition,
                                     Playbook,
                                     PlaybookInvalid,
                                     Problem,
                                     Signal,
                                     Step,
                                     known_signals,
)

__all__ = ["KINDS", "SEVERITIES", "Condition", "FileCheck", "Library", "Playbook", "PlaybookInvalid",
           "Problem", "Signal", "Step", "ValidationReport", "check_file", "check_text", "known_signals",
           "load_file", "load_library", "playbook_files", "shipped_dir", "validate_files"]
