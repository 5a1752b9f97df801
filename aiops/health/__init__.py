"""Health: probing ``/health``, ``/ready``, ``/live`` and ``/metrics`` across a fleet.

- :mod:`aiops.health.probe`: the concurrent prober and its report (``check``).
- :mod:`aiops.health.rules`: what a ``/health`` body and its checks mean.
- :mod:`aiops.health.targets`: service instances from arguments, ``--target`` and ``--env``.
"""
