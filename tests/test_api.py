"""The Smartcar API client: requests, every error type, retry-after and backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from unittest.mock import patch

from aiohttp import ClientConnectionError, ClientResponseError, ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api import (
    API_URL,
    DEFAULT_SCOPES,
    MAX_RETRY_AFTER,
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarVehicle,
    async_access_token,
)

from .conftest import EV_ID, ICE_ID, TOKEN
from .smartcar_api import (
    EV_VIN,
    SMARTCAR_WEBHOOK_ID,
    USER_ID,
    VEHICLES,
    calls,
    error_body,
    mock_api,
    subscribe_url,
)


class Sleeps(list[float]):
    """A stand-in for asyncio.sleep that records how long the client would wait."""

    async def __call__(self, seconds: float) -> None:
        """Record the wait instead of waiting."""
        self.append(seconds)


@pytest.fixture
async def session(aioclient_mock: AiohttpClientMocker) -> AsyncIterator[ClientSession]:
    """A session whose requests the mocker answers."""
    session = aioclient_mock.create_session(asyncio.get_running_loop())
    yield session
    await session.close()


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits of the client under test."""
    return Sleeps()


def token_getter(token: str = "access-1") -> Callable[[], Awaitable[str]]:  # noqa: S107
    async def access_token() -> str:
        return token

    return access_token


@pytest.fixture
def client(session: ClientSession, sleeps: Sleeps) -> SmartcarClient:
    """A client with every default permission."""
    return SmartcarClient(session, token_getter(), sleep=sleeps)


def answers(*responses: dict[str, Any]) -> Callable[..., Awaitable[AiohttpClientMockResponse]]:
    """A mock side effect answering one request after another with these responses."""
    remaining = iter(responses)

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        return AiohttpClientMockResponse(method, url, **next(remaining))

    return side_effect


async def test_lists_vehicles_with_details(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Ids, then make, model and year of each, and the VIN where it is permitted."""
    mock_api(aioclient_mock)
    assert await client.async_get_user_id() == USER_ID
    assert await client.async_list_vehicles() == [
        SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023, vin=EV_VIN),
        SmartcarVehicle(id=ICE_ID, make="TOYOTA", model="Corolla", year=2019, vin=None),
    ]
    (_, url, _, headers), *_ = calls(aioclient_mock, "get", f"{API_URL}/vehicles")
    assert url.query == {"limit": "50", "offset": "0"}
    assert headers["Authorization"] == "Bearer access-1"


async def test_vehicle_ids_across_pages(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """More vehicles than a page holds are read page by page."""
    aioclient_mock.get(
        f"{API_URL}/vehicles",
        side_effect=answers(
            {"json": {"vehicles": [EV_ID], "paging": {"count": 2, "offset": 0}}},
            {"json": {"vehicles": [ICE_ID], "paging": {"count": 2, "offset": 1}}},
        ),
    )
    assert await client.async_list_vehicle_ids() == [EV_ID, ICE_ID]
    offsets = [call[1].query["offset"] for call in aioclient_mock.mock_calls]
    assert offsets == ["0", "1"]


async def test_empty_page_ends_the_listing(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A count that promises more than the pages hold does not loop forever."""
    aioclient_mock.get(
        f"{API_URL}/vehicles", json={"vehicles": [], "paging": {"count": 5, "offset": 0}}
    )
    assert await client.async_list_vehicle_ids() == []


@pytest.mark.parametrize(
    "body", [{"paging": {"count": 0}}, {"vehicles": "nope"}, ["not", "an", "object"]]
)
async def test_malformed_listing(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, body: Any
) -> None:
    """An answer that is not Smartcar's shape is a connection problem, not a crash."""
    aioclient_mock.get(f"{API_URL}/vehicles", json=body)
    with pytest.raises(SmartcarConnectionError):
        await client.async_list_vehicle_ids()


async def test_user_without_id(client: SmartcarClient, aioclient_mock: AiohttpClientMocker) -> None:
    """A user answer without an id cannot identify the account."""
    aioclient_mock.get(f"{API_URL}/user", json={"id": ""})
    with pytest.raises(SmartcarConnectionError, match="no id"):
        await client.async_get_user_id()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, error_body("PERMISSION", status=403, resolution="REAUTHENTICATE")),
        (501, error_body("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", 501)),
    ],
)
async def test_vin_not_permitted_is_no_vin(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, status: int, body: Any
) -> None:
    """A VIN the owner did not grant (or the car cannot give) is simply unknown."""
    aioclient_mock.get(f"{API_URL}/vehicles/{EV_ID}/vin", status=status, json=body)
    assert await client.async_get_vin(EV_ID) is None


async def test_vin_not_asked_for_is_not_requested(
    session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """Without the VIN permission the client does not even ask."""
    mock_api(aioclient_mock)
    client = SmartcarClient(session, token_getter(), scopes=["read_battery"])
    assert client.scopes == {"read_battery", "read_vehicle_info"}
    vehicle = await client.async_get_vehicle(EV_ID)
    assert vehicle == SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023)
    assert calls(aioclient_mock, "get", f"{API_URL}/vehicles/{EV_ID}/vin") == []


async def test_lost_permission_of_ours_is_an_auth_error(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Vehicle info is a permission the integration relies on: losing it means sign in."""
    aioclient_mock.get(
        f"{API_URL}/vehicles/{EV_ID}", status=403, json=error_body("PERMISSION", status=403)
    )
    with pytest.raises(SmartcarAuthError) as caught:
        await client.async_get_vehicle(EV_ID)
    assert caught.value.error_type == "PERMISSION"


async def test_permission_outside_ours_is_not_an_auth_error(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A permission the webhook's signals need but nobody chose does not ask to sign in."""
    aioclient_mock.post(subscribe_url(EV_ID), status=403, json=error_body("PERMISSION", status=403))
    with pytest.raises(SmartcarPermissionError) as caught:
        await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert caught.value.scope is None
    assert not isinstance(caught.value, SmartcarAuthError)


async def test_subscribe_and_unsubscribe_tokens(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Subscribing uses the owner's token; unsubscribing the management token."""
    mock_api(aioclient_mock)
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID, TOKEN)
    (post,) = calls(aioclient_mock, "post", subscribe_url(EV_ID))
    (delete,) = calls(aioclient_mock, "delete", subscribe_url(EV_ID))
    assert post[3]["Authorization"] == "Bearer access-1"
    assert delete[3]["Authorization"] == f"Bearer {TOKEN}"


async def test_ids_are_quoted_in_paths(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An id never changes the path it is put in."""
    aioclient_mock.post(f"{API_URL}/vehicles/a%2Fb/webhooks/c%3Fd", json={})
    await client.async_subscribe("a/b", "c?d")
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, error_body("AUTHENTICATION", status=401), SmartcarAuthError),
        (403, error_body("PERMISSION", status=403), SmartcarPermissionError),
        (429, error_body("RATE_LIMIT", "VEHICLE", 429), SmartcarRateLimitError),
        (502, error_body("UPSTREAM", "RATE_LIMIT", 502), SmartcarRateLimitError),
        (430, error_body("BILLING", "VEHICLE_REQUEST_LIMIT", 430), SmartcarBillingError),
        (501, error_body("COMPATIBILITY", "SMARTCAR_NOT_CAPABLE", 501), SmartcarCompatibilityError),
        (400, error_body("CONNECTED_SERVICES_ACCOUNT", "ACCOUNT_ISSUE"), SmartcarAccountError),
        (404, error_body("RESOURCE_NOT_FOUND", "PATH", 404), SmartcarNotFoundError),
        (500, error_body("SERVER", "INTERNAL", 500), SmartcarServerError),
        (502, error_body("UPSTREAM", "UNKNOWN_ISSUE", 502), SmartcarServerError),
        (400, error_body("VALIDATION", "PARAMETER", 400), SmartcarError),
        (409, error_body("VEHICLE_STATE", "ASLEEP", 409), SmartcarError),
        # Without a known type, the HTTP status decides.
        (401, {"error": "invalid_token", "message": "Bad token"}, SmartcarAuthError),
        (403, None, SmartcarPermissionError),
        (404, None, SmartcarNotFoundError),
        (429, None, SmartcarRateLimitError),
        (430, {"type": "NEW_TYPE"}, SmartcarBillingError),
        (501, None, SmartcarCompatibilityError),
        (503, None, SmartcarServerError),
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
        aioclient_mock.get(f"{API_URL}/user", status=status, text="<html>oops</html>")
    else:
        aioclient_mock.get(f"{API_URL}/user", status=status, json=body)
    with pytest.raises(error) as caught:
        await client.async_get_user_id()
    assert type(caught.value) is error
    assert caught.value.status == status


async def test_error_fields_are_kept(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Type, code, resolution and request id come with the exception, for the logs."""
    aioclient_mock.get(
        f"{API_URL}/user",
        status=400,
        json={"type": "CONNECTED_SERVICES_ACCOUNT", "code": "SUBSCRIPTION", "resolution": "X"},
        headers={"SC-Request-Id": "req-42"},
    )
    with pytest.raises(SmartcarAccountError) as caught:
        await client.async_get_user_id()
    err = caught.value
    assert (err.error_type, err.code, err.resolution, err.request_id) == (
        "CONNECTED_SERVICES_ACCOUNT",
        "SUBSCRIPTION",
        "X",
        "req-42",
    )
    assert str(err) == "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION 400"


async def test_rate_limit_honours_retry_after(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """A vehicle rate limit waits as long as Smartcar says, then tries again."""
    aioclient_mock.get(
        f"{API_URL}/user",
        side_effect=answers(
            {
                "status": 429,
                "json": error_body("RATE_LIMIT", "VEHICLE", 429),
                "headers": {"retry-after": "7"},
            },
            {"json": {"id": USER_ID}},
        ),
    )
    assert await client.async_get_user_id() == USER_ID
    assert sleeps == [7.0]


async def test_rate_limit_backs_off_exponentially(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """Without retry-after the client backs off 1 s, 2 s, then gives up."""
    aioclient_mock.get(
        f"{API_URL}/user", status=429, json=error_body("RATE_LIMIT", "SMARTCAR_API", 429)
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_user_id()
    assert caught.value.retry_after is None
    assert sleeps == [1.0, 2.0]
    assert aioclient_mock.call_count == 3


@pytest.mark.parametrize("retry_after", [str(MAX_RETRY_AFTER + 1), "3600"])
async def test_long_retry_after_is_not_waited_for(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps, retry_after: str
) -> None:
    """A long wait is the caller's business: the error says how long."""
    aioclient_mock.get(
        f"{API_URL}/user",
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"Retry-After": retry_after},
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_user_id()
    assert caught.value.retry_after == float(retry_after)
    assert sleeps == []
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize("retry_after", ["soon", "-1", "nan", "Wed, 21 Oct 2026 07:28:00 GMT"])
async def test_unusable_retry_after_backs_off(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps, retry_after: str
) -> None:
    """A retry-after that is not a number of seconds falls back to the backoff."""
    aioclient_mock.get(
        f"{API_URL}/user",
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"retry-after": retry_after},
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_user_id()
    assert caught.value.retry_after is None
    assert sleeps == [1.0, 2.0]


async def test_server_error_is_retried(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """A passing server error does not fail the call."""
    aioclient_mock.get(
        f"{API_URL}/user",
        side_effect=answers(
            {"status": 503, "text": "Service Unavailable"},
            {"json": {"id": USER_ID}},
        ),
    )
    assert await client.async_get_user_id() == USER_ID
    assert sleeps == [1.0]


async def test_broken_connection_is_retried_then_reported(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """Smartcar unreachable: retried, then a connection error."""
    aioclient_mock.get(f"{API_URL}/user", exc=ClientConnectionError("reset"))
    with pytest.raises(SmartcarConnectionError):
        await client.async_get_user_id()
    assert sleeps == [1.0, 2.0]


async def test_other_errors_are_not_retried(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """An answer that will not change (billing, say) is reported at once."""
    aioclient_mock.get(
        f"{API_URL}/user", status=430, json=error_body("BILLING", "VEHICLE_LIMIT", 430)
    )
    with pytest.raises(SmartcarBillingError):
        await client.async_get_user_id()
    assert sleeps == []


async def test_success_without_json(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 200 that is not JSON is not Smartcar's API."""
    aioclient_mock.get(f"{API_URL}/user", text="<html>captive portal</html>")
    with pytest.raises(SmartcarConnectionError, match="without JSON"):
        await client.async_get_user_id()


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (ClientResponseError(None, (), status=400), SmartcarAuthError),  # type: ignore[arg-type]
        (ClientResponseError(None, (), status=401), SmartcarAuthError),  # type: ignore[arg-type]
        (ClientResponseError(None, (), status=500), SmartcarServerError),  # type: ignore[arg-type]
        (ClientConnectionError("down"), SmartcarConnectionError),
        (TimeoutError(), SmartcarConnectionError),
        (SmartcarAuthError("already typed"), SmartcarAuthError),
    ],
)
async def test_token_refresh_failures(raised: Exception, error: type[SmartcarError]) -> None:
    """A refused refresh means sign in again; anything else is a passing problem."""

    async def access_token() -> str:
        raise raised

    with pytest.raises(error):
        await async_access_token(access_token)


async def test_refused_refresh_fails_the_request(
    session: ClientSession, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """A request whose token cannot be refreshed is an authentication error, not retried."""

    async def access_token() -> str:
        raise ClientResponseError(None, (), status=400)  # type: ignore[arg-type]

    client = SmartcarClient(session, access_token, sleep=sleeps)
    with pytest.raises(SmartcarAuthError):
        await client.async_list_vehicles()
    assert aioclient_mock.call_count == 0
    assert sleeps == []


def test_vehicle_from_stored_dict() -> None:
    """Stored or received vehicles are read tolerantly, and round-trip."""
    vehicle = SmartcarVehicle.from_dict({**VEHICLES[EV_ID], "vin": EV_VIN})
    assert SmartcarVehicle.from_dict(vehicle.as_dict()) == vehicle
    odd = SmartcarVehicle.from_dict({"id": 7, "make": "", "model": 3, "year": True})
    assert odd == SmartcarVehicle(id="7")
    assert SmartcarVehicle.from_dict({"id": "x", "year": "2020"}).year is None


def test_default_permissions_cover_the_entities() -> None:
    """Every read permission the entities need is asked for by default; no control ones."""
    assert "read_vin" in DEFAULT_SCOPES
    assert "read_location" in DEFAULT_SCOPES
    assert not [scope for scope in DEFAULT_SCOPES if not scope.startswith("read_")]


async def test_listing_stops_after_the_page_limit(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A paging that never ends is cut at the page limit."""
    aioclient_mock.get(
        f"{API_URL}/vehicles", json={"vehicles": [EV_ID], "paging": {"count": 999, "offset": 0}}
    )
    with patch("custom_components.smartcar.api.MAX_PAGES", 3):
        assert await client.async_list_vehicle_ids() == [EV_ID] * 3
