"""Smartcar's errors as typed exceptions, read from its error answers.

Plain Python, no Home Assistant imports. Smartcar's ``type`` decides the exception, then the
HTTP status; both documented error bodies are read (``description``/``statusCode``/
``requestId`` and v3's ``title``/``detail``/``status``), and ``code``, ``resolution`` and
``suggestedUserMessage`` travel with the exception for the message a user sees.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from .api_json import nonempty_text

if TYPE_CHECKING:
    from collections.abc import Mapping


class SmartcarError(Exception):
    """Any failure talking to Smartcar, with Smartcar's error fields when it sent them."""

    def __init__(  # noqa: PLR0913
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        resolution: str | None = None,
        user_message: str | None = None,
    ) -> None:
        """Keep what Smartcar said about the error."""
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code
        self.request_id = request_id
        self.resolution = resolution
        self.user_message = user_message


class SmartcarConnectionError(SmartcarError):
    """Smartcar could not be reached, or answered with something that is not its API."""


class SmartcarTimeoutError(SmartcarConnectionError):
    """Smartcar did not answer in time: a command may still be carried out."""


class SmartcarAuthError(SmartcarError):
    """The API credentials are wrong or revoked, or consent lost a permission asked for.

    Only this one means "enter the credentials again" or "sign in again".
    """


class SmartcarPermissionError(SmartcarError):
    """The user did not grant the permission a call needs."""


class SmartcarRateLimitError(SmartcarError):
    """Too many requests (for the application, the vehicle or the car maker)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        """Also keep how long Smartcar asked to wait, in seconds."""
        super().__init__(message, **fields)
        self.retry_after = retry_after


class SmartcarBillingError(SmartcarError):
    """The Smartcar plan's vehicle or request limit is reached (HTTP 430)."""


class SmartcarCompatibilityError(SmartcarError):
    """The vehicle or its maker does not offer this (HTTP 501)."""


class SmartcarAccountError(SmartcarError):
    """Something is wrong with the owner's connected-services account at the car maker."""


class SmartcarNotFoundError(SmartcarError):
    """An unknown vehicle, signal, webhook or subscription (HTTP 404)."""


class SmartcarServerError(SmartcarError):
    """Smartcar or the car maker failed (HTTP 5xx)."""


# The code of a 430 that is the vehicle's monthly calls being used up.
VEHICLE_REQUEST_LIMIT: Final = "VEHICLE_REQUEST_LIMIT"

# Smartcar's error types; an unknown or missing type falls back to the HTTP status.
_ERROR_TYPES: Final[dict[str, type[SmartcarError]]] = {
    "AUTHENTICATION": SmartcarAuthError,
    "PERMISSION": SmartcarPermissionError,
    "RATE_LIMIT": SmartcarRateLimitError,
    "BILLING": SmartcarBillingError,
    "COMPATIBILITY": SmartcarCompatibilityError,
    "CONNECTED_SERVICES_ACCOUNT": SmartcarAccountError,
    "RESOURCE_NOT_FOUND": SmartcarNotFoundError,
    "SERVER": SmartcarServerError,
    "UPSTREAM": SmartcarServerError,
    "VALIDATION": SmartcarError,
    "VEHICLE_STATE": SmartcarError,
}
_ERROR_STATUSES: Final[dict[int, type[SmartcarError]]] = {
    401: SmartcarAuthError,
    403: SmartcarPermissionError,
    404: SmartcarNotFoundError,
    429: SmartcarRateLimitError,
    430: SmartcarBillingError,
    501: SmartcarCompatibilityError,
}


def error_from_answer(
    status: int,
    body: Mapping[str, Any] | None,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> SmartcarError:
    """The typed exception for an error answer (Smartcar's ``type`` first, then status).

    ``request_id`` is the answer's ``sc-request-id`` header, used when the body names none;
    ``retry_after`` the seconds its ``retry-after`` header asked for.
    """
    body = body or {}
    error_type = nonempty_text(body.get("type"))
    code = nonempty_text(body.get("code"))
    resolution = body.get("resolution")
    fields: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "code": code,
        "request_id": nonempty_text(body.get("requestId")) or request_id,
        "resolution": nonempty_text(resolution.get("type"))
        if isinstance(resolution, dict)
        else nonempty_text(resolution),
        "user_message": nonempty_text(body.get("suggestedUserMessage")),
    }
    label = ":".join(part for part in (error_type, code) if part) or "HTTP"
    detail = body.get("detail")
    description = (
        nonempty_text(body.get("description"))
        or nonempty_text(body.get("title"))
        or nonempty_text(detail)
        or nonempty_text(body.get("message"))
        or ""
    )
    message = f"{label} {status}: {description}".rstrip(": ")
    kind = _error_kind(error_type, code, status)
    if kind is SmartcarRateLimitError:
        return SmartcarRateLimitError(message, retry_after=retry_after, **fields)
    return kind(message, **fields)


def is_transient_status(status: int) -> bool:
    """Whether a refused request may succeed later (rate limit, server trouble).

    Not 501: Smartcar says with it that the vehicle or its maker does not offer this.
    """
    return status == HTTPStatus.TOO_MANY_REQUESTS or (
        status >= HTTPStatus.INTERNAL_SERVER_ERROR and status != HTTPStatus.NOT_IMPLEMENTED
    )


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` header (Smartcar sends seconds); None if unusable."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None


def _error_kind(error_type: str | None, code: str | None, status: int) -> type[SmartcarError]:
    if code == "RATE_LIMIT":  # UPSTREAM:RATE_LIMIT, the car maker's limit
        return SmartcarRateLimitError
    if error_type in _ERROR_TYPES:
        return _ERROR_TYPES[error_type]
    if status in _ERROR_STATUSES:
        return _ERROR_STATUSES[status]
    return SmartcarServerError if status >= 500 else SmartcarError  # noqa: PLR2004
