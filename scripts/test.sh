#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite.
#   bash scripts/test.sh            # the README's test command (what CI runs)
#   bash scripts/test.sh -k health  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Real Prometheus, promtool and Alertmanager for the integration tests (Debian packages).
if ! command -v promtool >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null
  fi
fi
# The blackbox exporter, and VictoriaMetrics (victoria-metrics, vmagent, vmalert, vmauth): a
# Prometheus-compatible engine behind an auth proxy (Debian packages).
if ! command -v prometheus-blackbox-exporter >/dev/null || ! command -v vmauth >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter victoria-metrics >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter victoria-metrics >/dev/null
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,charts]'
# The reference active inference implementation, for parity tests only (its numpy code path).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps 'inferactively-pymdp==1.0.4'
.venv/bin/python -m pip install -q --disable-pip-version-check scipy seaborn opt_einsum

exec .venv/bin/python -m pytest "$@"
