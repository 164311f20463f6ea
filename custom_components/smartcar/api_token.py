"""The application's access token for Smartcar's API v3 (the ``client_credentials`` grant).

Plain Python over aiohttp, no Home Assistant imports. One token from this grant authorises
every API call of the application, whichever user a call is about (API-v3.md section 1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
import time
from typing import Final

import aiohttp

from .api_errors import (
    SmartcarAuthError,
    SmartcarConnectionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    is_transient_status,
    retry_after_seconds,
)
from .api_hosts import TOKEN_URL
from .api_json import json_object, nonempty_text
from .api_transport import REQUEST_TIMEOUT

# A token is fetched again this long before Smartcar says it expires.
TOKEN_MARGIN_SECONDS: Final = 60.0

type Clock = Callable[[], float]


class ApplicationToken:
    """The application's access token (``client_credentials``), kept in memory only.

    Fetched when first needed and again shortly before it expires (Smartcar issues it for an
    hour, with no refresh token). Never logged. A refused client id or secret is a
    ``SmartcarAuthError``; Smartcar's or the network's trouble is retried by the caller.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        token_url: str = TOKEN_URL,
        clock: Clock = time.monotonic,
    ) -> None:
        """Ask ``token_url`` for tokens with these API credentials."""
        self._session = session
        # The API credentials as the token request sends them (nothing else uses them).
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._token_url = token_url
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self) -> str:
        """A valid access token, fetched if the one held is missing or about to expire."""
        async with self._lock:
            if self._token is None or self._clock() >= self._valid_until:
                self._token, lifetime = await self._fetch()
                self._valid_until = self._clock() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    def invalidate(self) -> None:
        """Forget the token (Smartcar refused it): the next call fetches a new one."""
        self._token = None

    async def _fetch(self) -> tuple[str, float]:
        try:
            async with self._session.post(
                self._token_url,
                data=self._form,
                headers={"Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            ) as response:
                text = await response.text(errors="replace")  # a proxy's page may not be UTF-8
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SmartcarConnectionError(
                f"Cannot reach Smartcar's token service: {err!r}"
            ) from err
        body = json_object(text) or {}
        if status >= HTTPStatus.BAD_REQUEST:
            error = nonempty_text(body.get("error")) or nonempty_text(body.get("code")) or "HTTP"
            message = f"Smartcar refused the API credentials ({status} {error})"
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                retry_after = retry_after_seconds(headers.get("retry-after"))
                raise SmartcarRateLimitError(message, retry_after=retry_after, status=status)
            if is_transient_status(status):
                raise SmartcarServerError(message, status=status)
            raise SmartcarAuthError(message, status=status, code=error)
        token = nonempty_text(body.get("access_token"))
        if token is None:
            raise SmartcarConnectionError("Smartcar's token service answered without a token")
        lifetime = body.get("expires_in")
        seconds = (
            float(lifetime)
            if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0
            else 3600.0
        )
        return token, seconds
