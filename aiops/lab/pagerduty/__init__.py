"""The PagerDuty sandbox (``aiops lab pagerduty``): REST API v2 subset + Events API v2 over TLS."""

from aiops.lab.pagerduty.http import SANDBOX_HEADER, SANDBOX_NOTICE
from aiops.lab.pagerduty.sandbox import PagerDutySandbox, is_loopback

__all__ = ["PagerDutySandbox", "SANDBOX_HEADER", "SANDBOX_NOTICE", "is_loopback"]
