"""The ``pagerduty_sim`` fixture: the product's PagerDuty sandbox (``aiops.lab.pagerduty``),
one per test, with every answer it gave checked against PagerDuty's published OpenAPI specs
afterwards (``tests/fakes/pagerduty_contract.py``).

Use ``sim.url``, ``sim.token``, ``sim.ca_path``, ``sim.env()``, ``sim.create_incident(...)``,
``sim.fail(...)``.
"""

from __future__ import annotations

import pytest

from aiops.lab.pagerduty import PagerDutySandbox as PagerDutySim

__all__ = ["PagerDutySim", "pagerduty_sim"]


@pytest.fixture
def pagerduty_sim(request: pytest.FixtureRequest):
    """A fresh sandbox per test; afterwards every answer it gave is checked against
    PagerDuty's OpenAPI spec (when the spec is available; under CI=true it must be)."""
    from tests.conftest import require

    require("trustme")
    require("pagerduty")
    sim = PagerDutySim()
    yield sim
    sim.close()
    from tests.fakes.pagerduty_contract import check_exchanges

    check_exchanges(sim.exchanges)
