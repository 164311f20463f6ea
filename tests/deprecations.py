"""What a report of a deprecation that names the integration looks like, in any log.

Python's DeprecationWarning and PendingDeprecationWarning, Home Assistant's
helpers.deprecation ("The deprecated ... was used from smartcar") and
helpers.frame.report_usage ("Detected that custom integration 'smartcar' ... This will stop
working in Home Assistant ..."), and the older "breaks in" wording. Used by the suite's
autouse check of every test's log and by the end-to-end tests on the server's log.
"""

from __future__ import annotations

from typing import Final

MARKS: Final = ("deprecat", "detected that custom integration", "will stop working", "breaks in")


def reports_deprecation(text: str) -> bool:
    """Whether a log line reports a deprecation and names the integration."""
    text = text.lower()
    return "smartcar" in text and any(mark in text for mark in MARKS)
