"""Playbook steps: the action registry, one small adapter per action, and the runner.

    from aiops.playbooks.steps import ACTIONS, Context, run_playbook

    run = run_playbook(playbook, Context(cfg, targets=["http://127.0.0.1:8000"], timeout=10))
    run.status, run.exit_code(), run.to_dict()

Adapters (``aiops.playbooks.steps.health``, ``.metrics``, ``.trend``, ``.promql``, ``.alerts``, ``.logs``,
``.incident``) each call the core module that owns the work; ``ctx.cache`` lets them reuse
what triage has already measured.
"""

from aiops.playbooks.steps.registry import ACTIONS, Action, Param
from aiops.playbooks.steps.runner import Context, Outcome, PlaybookRun, Skip, StepResult, run_playbook, run_step

__all__ = ["ACTIONS", "Action", "Context", "Outcome", "Param", "PlaybookRun", "Skip", "StepResult",
           "run_playbook", "run_step"]
