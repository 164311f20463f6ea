"""Smartcar's error answers as typed exceptions (api_errors.py), through the client."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.smartcar.api import (
    SmartcarClient,
)
from custom_components.smartcar.api_errors import (
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    is_transient_status,
)
from custom_components.smartcar.api_transport import (
    BACKOFF_SECONDS,
    MAX_ATTEMPTS,
)
from tests.conftest import EV_ID
from tests.smartcar_api import (
    CONNECTIONS_URL,
    error_body,
)

from .conftest import (
    SIGNALS_URL,
    VIN_URL,
    Sleeps,
)

# --- Errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, error_body("VALIDATION", "PARAMETER", 400), SmartcarError),
        (400, error_body("VALIDATION", "MISSING_PARAMETER", 400), SmartcarError),
        (401, error_body("AUTHENTICATION", status=401), SmartcarAuthError),
        (403, error_body("PERMISSION", status=403), SmartcarPermissionError),
        (404, error_body("RESOURCE_NOT_FOUND", "PATH", 404), SmartcarNotFoundError),
        (409, error_body("VEHICLE_STATE", "ASLEEP", 409), SmartcarError),
        (429, error_body("RATE_LIMIT", "VEHICLE", 429), SmartcarRateLimitError),
        (429, error_body("RATE_LIMIT", "SMARTCAR_API", 429), SmartcarRateLimitError),
        (430, error_body("BILLING", "VEHICLE_REQUEST_LIMIT", 430), SmartcarBillingError),
        (400, error_body("CONNECTED_SERVICES_ACCOUNT", "ACCOUNT_ISSUE"), SmartcarAccountError),
        (500, error_body("SERVER", "INTERNAL", 500), SmartcarServerError),
        (501, error_body("COMPATIBILITY", "SMARTCAR_NOT_CAPABLE", 501), SmartcarCompatibilityError),
        (502, error_body("UPSTREAM", "UNKNOWN_ISSUE", 502), SmartcarServerError),
        # The car maker's rate limit is a rate limit, whatever the type says.
        (502, error_body("UPSTREAM", "RATE_LIMIT", 502), SmartcarRateLimitError),
        (429, {"code": "RATE_LIMIT"}, SmartcarRateLimitError),
        # A known type decides over the status.
        (400, error_body("PERMISSION", status=400), SmartcarPermissionError),
        (500, error_body("RESOURCE_NOT_FOUND", status=500), SmartcarNotFoundError),
        # Without a known type, the HTTP status decides.
        (401, {"error": "invalid_token", "message": "Bad token"}, SmartcarAuthError),
        (403, None, SmartcarPermissionError),
        (404, None, SmartcarNotFoundError),
        (409, None, SmartcarError),
        (429, None, SmartcarRateLimitError),
        (430, {"type": "NEW_TYPE"}, SmartcarBillingError),
        (500, None, SmartcarServerError),
        (501, None, SmartcarCompatibilityError),
        (503, {"type": 7}, SmartcarServerError),
        (504, None, SmartcarServerError),
        (418, None, SmartcarError),
    ],
)
async def test_error_types(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any] | None,
    error: type[SmartcarError],
) -> None:
    """Each Smartcar error type (or, failing that, HTTP status) has its exception."""
    if body is None:
        aioclient_mock.get(SIGNALS_URL, status=status, text="<html>oops</html>")
    else:
        aioclient_mock.get(SIGNALS_URL, status=status, json=body)
    with pytest.raises(error) as caught:
        await client.async_get_signals(EV_ID)
    assert type(caught.value) is error
    assert caught.value.status == status


async def test_error_fields_of_the_documented_body(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """description/statusCode/requestId: every field comes with the exception."""
    aioclient_mock.get(
        SIGNALS_URL,
        status=400,
        json={
            "type": "CONNECTED_SERVICES_ACCOUNT",
            "code": "SUBSCRIPTION",
            "description": "The owner's connected services subscription has expired.",
            "docURL": "https://smartcar.com/docs/errors",
            "statusCode": 400,
            "requestId": "req-body",
            "resolution": {"type": "CONTACT_SUPPORT"},
            "suggestedUserMessage": "Renew your connected services subscription.",
            "detail": [{"field": "x"}],
        },
        headers={"sc-request-id": "req-header"},
    )
    with pytest.raises(SmartcarAccountError) as caught:
        await client.async_get_signals(EV_ID)
    err = caught.value
    assert (err.status, err.error_type, err.code, err.resolution, err.request_id) == (
        400,
        "CONNECTED_SERVICES_ACCOUNT",
        "SUBSCRIPTION",
        "CONTACT_SUPPORT",
        "req-body",
    )
    assert err.user_message == "Renew your connected services subscription."
    assert str(err) == (
        "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION 400: "
        "The owner's connected services subscription has expired."
    )


async def test_error_fields_of_the_v3_body(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """title/detail/status: the title describes it, the request id comes from the header."""
    body = error_body("PERMISSION", "VEHICLE", 403, resolution="REAUTHENTICATE")
    body["suggestedUserMessage"] = "Reconnect your vehicle to share its location."
    aioclient_mock.get(SIGNALS_URL, status=403, json=body, headers={"SC-Request-Id": "req-header"})
    with pytest.raises(SmartcarPermissionError) as caught:
        await client.async_get_signals(EV_ID)
    err = caught.value
    assert (err.error_type, err.code, err.resolution, err.request_id) == (
        "PERMISSION",
        "VEHICLE",
        "REAUTHENTICATE",
        "req-header",
    )
    assert err.user_message == "Reconnect your vehicle to share its location."
    assert str(err) == "PERMISSION:VEHICLE 403: PERMISSION (invented title)"


@pytest.mark.parametrize(
    ("body", "message", "resolution"),
    [
        (
            {"type": "VALIDATION", "detail": "page[size] is too large"},
            "page[size] is too large",
            None,
        ),
        ({"type": "VALIDATION", "message": "Bad request"}, "Bad request", None),
        ({"type": "VALIDATION", "detail": [], "resolution": "RETRY_LATER"}, "", "RETRY_LATER"),
        (
            {"type": "VALIDATION", "title": "", "description": "", "resolution": {"type": 3}},
            "",
            None,
        ),
        ({"type": "VALIDATION", "resolution": None, "requestId": 12}, "", None),
    ],
)
async def test_error_descriptions(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    body: dict[str, Any],
    message: str,
    resolution: str | None,
) -> None:
    """Whichever documented field describes an error is used; malformed ones are ignored."""
    aioclient_mock.get(SIGNALS_URL, status=400, json=body)
    with pytest.raises(SmartcarError) as caught:
        await client.async_get_signals(EV_ID)
    expected = f"VALIDATION 400: {message}" if message else "VALIDATION 400"
    assert str(caught.value) == expected
    assert caught.value.resolution == resolution
    assert caught.value.request_id is None
    assert caught.value.user_message is None


async def test_error_without_json(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An error page that is not Smartcar's still has its type, from the status."""
    aioclient_mock.get(
        CONNECTIONS_URL,
        status=404,
        text="<html>Not Found</html>",
        headers={"sc-request-id": "req-7"},
    )
    with pytest.raises(SmartcarNotFoundError) as caught:
        await client.async_list_vehicles()
    err = caught.value
    assert str(err) == "HTTP 404"
    assert (err.error_type, err.code, err.resolution, err.request_id, err.user_message) == (
        None,
        None,
        None,
        "req-7",
        None,
    )


async def test_success_without_json(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """A 200 that is not a JSON object is not Smartcar's API (a captive portal, say)."""
    aioclient_mock.get(VIN_URL, text="<html>captive portal</html>")
    with pytest.raises(SmartcarConnectionError, match="without JSON"):
        await client.async_get_vin(EV_ID)
    assert sleeps == [BACKOFF_SECONDS * 2**n for n in range(MAX_ATTEMPTS - 1)]


async def test_success_with_an_empty_body(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An empty success is an empty answer: here, a VIN signal without a VIN."""
    aioclient_mock.get(VIN_URL, status=200, text=" \n")
    assert await client.async_get_vin(EV_ID) is None


async def test_body_that_is_not_utf8(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A body that is not UTF-8 (a proxy's Latin-1 page) is a connection problem."""
    aioclient_mock.get(CONNECTIONS_URL, status=502, content=b"<html>Mis\xe9re</html>")
    with pytest.raises(SmartcarError):
        await client.async_list_vehicles()


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (409, False),
        (429, True),
        (430, False),
        (499, False),
        (500, True),
        (501, False),  # not offered by the vehicle or its maker
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_transient_statuses(status: int, transient: bool) -> None:
    """Rate limits and server trouble may pass; refusals do not."""
    assert is_transient_status(status) is transient
