"""Training episodes move accuracy, loss, convergence and the episode counter."""

from __future__ import annotations

import time

from aiops.inference import Agent, build_model
from aiops.lab.faults import FaultSet
from aiops.lab.training import Trainer, horizon_for


def _trainer(faults=None, model="tmaze", window=20):
    m, env = build_model(model, seed=0)
    seen = {"observed": 0, "episodes": 0}

    def observe(seconds, result):
        seen["observed"] += 1

    def on_episode(stats):
        seen["episodes"] += 1

    trainer = Trainer(Agent(m, seed=0), env, m, faults or FaultSet(), observe=observe,
                      on_episode=on_episode, interval=0.0, window=window)
    return trainer, seen


def test_horizons():
    assert horizon_for("tmaze", [4, 2]) == 3
    assert horizon_for("grid:5", [25]) == 10
    assert horizon_for("random:1", [2, 3]) == 5


def test_a_healthy_tmaze_agent_is_accurate():
    trainer, seen = _trainer()
    for _ in range(20):
        stats = trainer.run_episode()
    assert stats.episodes == 20 and seen == {"observed": 60, "episodes": 20}
    assert stats.accuracy >= 0.95
    assert stats.loss < 0.1
    assert 1 <= stats.sample_efficiency <= 4 and stats.convergence_time >= 0


def test_accuracy_drop_corrupts_observations_and_accuracy_falls():
    faults = FaultSet()
    faults.set("accuracy-drop", 0.7)
    trainer, _ = _trainer(faults)
    for _ in range(40):
        stats = trainer.run_episode()
    assert stats.accuracy < 0.8
    assert stats.loss > 1.0


def test_training_stall_stops_episodes():
    faults = FaultSet()
    trainer, seen = _trainer(faults)
    trainer.start()
    try:
        deadline = time.monotonic() + 5
        while seen["episodes"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        faults.set("training-stall", None)
        stalled_at = -1
        while stalled_at != seen["episodes"] and time.monotonic() < deadline + 5:
            stalled_at = seen["episodes"]  # the episode in progress may still finish
            time.sleep(0.2)
        time.sleep(0.3)
        assert seen["episodes"] == stalled_at
        faults.clear("training-stall")
        while seen["episodes"] <= stalled_at and time.monotonic() < deadline + 5:
            time.sleep(0.01)
        assert seen["episodes"] > stalled_at
    finally:
        trainer.stop()
    assert not trainer.alive and trainer.error is None
