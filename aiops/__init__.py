"""aiops: incident-response toolkit for Active Inference Sim Lab services."""

__version__ = "0.1.0"
