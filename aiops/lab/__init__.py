"""The reference Active Inference Sim Lab service.

An ASGI app (starlette + uvicorn) serving the runbook's endpoints, metrics and structured
logs over the numpy inference core, with background training episodes and fault injection.
Start it with ``aiops lab serve``; see :mod:`aiops.lab.app` for the HTTP API and
:mod:`aiops.lab.faults` for the faults. Nothing heavy is imported here.
"""
