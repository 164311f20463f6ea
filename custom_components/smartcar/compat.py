"""What differs between the Home Assistant versions the integration supports (2026.2 on).

Each difference is settled once, here, so that the rest of the code is written once for
every supported version. The type checker tells the versions apart by the Python it checks
for: Home Assistant 2026.3 and newer run only on Python 3.14 (2026.2 on 3.13), so
``mypy --python-version 3.14`` checks against the newest.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

# From 2026.9 Home Assistant validates with probatio and makes ``import voluptuous`` resolve
# to probatio's voluptuous-compatible surface, so the same import works on every version;
# the type checker is told what that import really is on the newest.
if TYPE_CHECKING and sys.version_info >= (3, 14):
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["vol"]
