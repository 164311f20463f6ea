"""Where Smartcar's services are: Connect, the token service, the vehicle and management APIs.

SMARTCAR_API_BASE_URL, set in Home Assistant's environment, stands one address in for all of
them (paths /connect, /iam, /vehicle, /management): the simulator's fake API
(simulator/api.py) for the end-to-end tests. Unset, as for users, nothing changes.
"""

from __future__ import annotations

import os
from typing import Final

_FAKE_BASE: Final = os.environ.get("SMARTCAR_API_BASE_URL", "").rstrip("/")
AUTHORIZE_URL: Final = (
    f"{_FAKE_BASE}/connect/oauth/authorize"
    if _FAKE_BASE
    else "https://connect.smartcar.com/oauth/authorize"
)
TOKEN_URL: Final = (
    f"{_FAKE_BASE}/iam/oauth2/token" if _FAKE_BASE else "https://iam.smartcar.com/oauth2/token"
)
VEHICLE_API_URL: Final = (
    f"{_FAKE_BASE}/vehicle/v3" if _FAKE_BASE else "https://vehicle.api.smartcar.com/v3"
)
MANAGEMENT_API_URL: Final = (
    f"{_FAKE_BASE}/management/v3" if _FAKE_BASE else "https://management.api.smartcar.com/v3"
)
