"""What differs between the Home Assistant versions the integration supports (2026.2 on).

Each difference is settled once, here, so that the rest of the code is written once for
every supported version: at run time by what the running Home Assistant has, for the type
checker by the Python version it checks for. Home Assistant 2026.3 and newer run only on
Python 3.14 (2026.2 on 3.13), so ``mypy --python-version 3.14`` checks against the newest.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

from homeassistant import exceptions

from .api import is_transient_status

# From 2026.9 Home Assistant validates with probatio and makes ``import voluptuous`` resolve
# to probatio's voluptuous-compatible surface, so the same import works on every version;
# the type checker is told what that import really is on the newest.
if TYPE_CHECKING and sys.version_info >= (3, 14):
    import probatio as vol
else:
    import voluptuous as vol

if TYPE_CHECKING:
    from aiohttp import ClientResponseError

__all__ = ["raise_token_request_error", "vol"]

# Home Assistant 2026.3 added its own errors for a refused OAuth2 token request: its OAuth
# flow aborts with "unauthorized" and its setup starts reauthentication only for the
# "reauth" one (from 2026.10 they are also ConfigEntryAuthFailed / ConfigEntryNotReady).
# Before 2026.3 it read the status of the plain aiohttp error, which both subclass.
_TOKEN_REAUTH_ERROR: Any = getattr(exceptions, "OAuth2TokenRequestReauthError", None)
_TOKEN_TRANSIENT_ERROR: Any = getattr(exceptions, "OAuth2TokenRequestTransientError", None)


def raise_token_request_error(err: ClientResponseError, domain: str) -> NoReturn:
    """Raise a refused token request (4xx, 5xx) as the running Home Assistant expects it."""
    if _TOKEN_REAUTH_ERROR is None:
        raise err
    error_class = _TOKEN_TRANSIENT_ERROR if is_transient_status(err.status) else _TOKEN_REAUTH_ERROR
    raise error_class(
        request_info=err.request_info,
        history=err.history,
        status=err.status,
        message=err.message,
        headers=err.headers,
        domain=domain,
    ) from err
