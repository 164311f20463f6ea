"""Requests (api_transport.py): hosts, headers, pages, retries, the refused token."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from aiohttp import ClientConnectionError, ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.smartcar.api import (
    DEFAULT_SCOPES,
    SCOPE_VEHICLE_INFO,
    SmartcarClient,
)
from custom_components.smartcar.api_errors import (
    SmartcarAuthError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarRateLimitError,
)
from custom_components.smartcar.api_hosts import TOKEN_URL, VEHICLE_API_URL
from custom_components.smartcar.api_token import ApplicationToken
from custom_components.smartcar.api_transport import (
    BACKOFF_SECONDS,
    MAX_ATTEMPTS,
    MAX_PAGES,
    MAX_RETRY_AFTER,
    PAGE_SIZE,
)
from tests.conftest import EV_ID
from tests.smartcar_api import (
    APP_TOKEN,
    CONNECTIONS_URL,
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    WEBHOOKS_URL,
    calls,
    error_body,
    mock_api,
    page,
    token_payload,
    token_requests,
)

from .conftest import (
    CALLBACK,
    PASSING_TROUBLE,
    SIGNALS_URL,
    VIN_URL,
    Sleeps,
    answers,
    make_client,
    page_numbers,
    signal,
    token_getter,
)

# --- Requests: hosts, headers, the user ---------------------------------------------------


async def test_every_call_carries_the_token_and_only_vehicle_calls_the_user(
    token: ApplicationToken, session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """The Bearer token goes everywhere; sc-user-id only to the vehicle's signals."""
    mock_api(aioclient_mock)
    aioclient_mock.get(SIGNALS_URL, json=page([signal("charge-ischarging")]))
    client = make_client(session, Sleeps(), token=token)
    await client.async_list_vehicles()
    await client.async_get_signals(EV_ID)
    assert await client.async_find_webhook(CALLBACK) == SMARTCAR_WEBHOOK_ID
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)

    api_calls = [call for call in aioclient_mock.mock_calls if str(call[1]) != TOKEN_URL]
    assert len(api_calls) == 8  # connections, 2 VINs, signals, webhooks, POST, GET, DELETE
    assert len(token_requests(aioclient_mock)) == 1
    for _, url, _, headers in api_calls:
        assert headers["Authorization"] == f"Bearer {APP_TOKEN}"
        assert headers["Accept"] == "application/json"
        about_vehicle = str(url).startswith(f"{VEHICLE_API_URL}/vehicles/")
        assert headers.get("sc-user-id") == (USER_ID if about_vehicle else None), url
    (listing,) = calls(aioclient_mock, "get", CONNECTIONS_URL)
    assert listing[1].query == {
        "filter[userId]": USER_ID,
        "page[number]": "1",
        "page[size]": str(PAGE_SIZE),
    }


async def test_hosts_can_be_changed(
    session: ClientSession, sleeps: Sleeps, aioclient_mock: AiohttpClientMocker
) -> None:
    """Other hosts (with or without a trailing slash) are used for every call."""
    aioclient_mock.get("https://vehicle.example.test/v3/connections", json=page([]))
    aioclient_mock.get("https://management.example.test/v3/webhooks", json=page([]))
    client = make_client(
        session,
        sleeps,
        vehicle_url="https://vehicle.example.test/v3/",
        management_url="https://management.example.test/v3/",
    )
    assert await client.async_list_vehicles() == []
    assert await client.async_find_webhook(CALLBACK) is None
    assert aioclient_mock.call_count == 2


def test_client_knows_its_user_and_permissions(session: ClientSession) -> None:
    """Vehicle info is always relied on: listing needs it."""
    client = SmartcarClient(session, token_getter(), USER_ID, scopes=["read_battery"])
    assert client.user_id == USER_ID
    assert client.scopes == frozenset({"read_battery", SCOPE_VEHICLE_INFO})
    assert SmartcarClient(session, token_getter(), USER_ID).scopes == frozenset(DEFAULT_SCOPES) | {
        SCOPE_VEHICLE_INFO
    }


async def test_ids_are_quoted_in_paths(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An id never changes the path it is put in."""
    aioclient_mock.get(f"{VEHICLE_API_URL}/vehicles/a%2Fb%3Fc/signals", json=page([]))
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([{"id": "s/1?x"}]))
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/s%2F1%3Fx", status=204)
    assert await client.async_get_signals("a/b?c") == []
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/s%2F1%3Fx")) == 1


@pytest.mark.parametrize(
    "body",
    [
        # An ended next link wins over a total count that promises more.
        {"data": [{"id": "x"}], "links": {"next": None}, "meta": {"totalCount": 9}},
        {"data": [{"id": "x"}], "links": {"next": ""}},
        # Neither a link nor a usable count: one page.
        {"data": [{"id": "x"}]},
        {"data": [{"id": "x"}], "links": "…", "meta": "…"},
        {"data": [{"id": "x"}], "meta": {"totalCount": "9"}},
        # An empty page ends the listing whatever the links say.
        {"data": [], "links": {"next": "…page[number]=2"}, "meta": {"totalCount": 9}},
    ],
)
async def test_listing_ends(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, body: dict[str, Any]
) -> None:
    """A list that does not say it goes on is read once."""
    aioclient_mock.get(WEBHOOKS_URL, json=body)
    assert await client.async_find_webhook(CALLBACK) is None
    assert page_numbers(aioclient_mock, WEBHOOKS_URL) == ["1"]


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"id": "x"}], "links": {"next": "…"}},
        {"data": [{"id": "x"}], "meta": {"totalCount": 10_000}},
    ],
)
async def test_listing_stops_after_the_page_limit(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, body: dict[str, Any]
) -> None:
    """Paging that never ends is cut at the page limit."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=body)
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/x", status=204)
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert page_numbers(aioclient_mock, SUBSCRIPTIONS_URL) == [
        str(n) for n in range(1, MAX_PAGES + 1)
    ]
    with patch("custom_components.smartcar.api_transport.MAX_PAGES", 3):
        aioclient_mock.clear_requests()
        aioclient_mock.get(SUBSCRIPTIONS_URL, json=body)
        aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/x", status=204)
        await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
        assert page_numbers(aioclient_mock, SUBSCRIPTIONS_URL) == ["1", "2", "3"]


# --- Retries ------------------------------------------------------------------------------


async def test_rate_limit_honours_retry_after(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """A vehicle rate limit waits as long as Smartcar says, then tries again."""
    aioclient_mock.get(
        SIGNALS_URL,
        side_effect=answers(
            {
                "status": 429,
                "json": error_body("RATE_LIMIT", "VEHICLE", 429),
                "headers": {"retry-after": "7"},
            },
            {"json": page([signal("charge-ischarging")])},
        ),
    )
    assert len(await client.async_get_signals(EV_ID)) == 1
    assert sleeps == [7.0]


async def test_car_maker_rate_limit_honours_retry_after(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """UPSTREAM:RATE_LIMIT is waited out like Smartcar's own."""
    aioclient_mock.post(
        SUBSCRIPTIONS_URL,
        side_effect=answers(
            {
                "status": 502,
                "json": error_body("UPSTREAM", "RATE_LIMIT", 502),
                "headers": {"Retry-After": "2.5"},
            },
            {"status": 202, "text": ""},
        ),
    )
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert sleeps == [2.5]


async def test_rate_limit_backs_off_exponentially(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """Without retry-after the client backs off 1 s, 2 s, then gives up."""
    aioclient_mock.get(SIGNALS_URL, status=429, json=error_body("RATE_LIMIT", "SMARTCAR_API", 429))
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_signals(EV_ID)
    assert caught.value.retry_after is None
    assert sleeps == [BACKOFF_SECONDS * 2**n for n in range(MAX_ATTEMPTS - 1)]
    assert sleeps == [1.0, 2.0]
    assert aioclient_mock.call_count == MAX_ATTEMPTS == 3


@pytest.mark.parametrize("retry_after", [str(MAX_RETRY_AFTER + 1), "3600"])
async def test_long_retry_after_is_not_waited_for(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps, retry_after: str
) -> None:
    """A long wait is the caller's business: the error says how long."""
    aioclient_mock.get(
        SIGNALS_URL,
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"Retry-After": retry_after},
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_signals(EV_ID)
    assert caught.value.retry_after == float(retry_after)
    assert sleeps == []
    assert aioclient_mock.call_count == 1


async def test_retry_after_up_to_the_limit_is_waited_for(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """The longest wait the client sits out itself, on every attempt."""
    aioclient_mock.get(
        SIGNALS_URL,
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"retry-after": str(MAX_RETRY_AFTER)},
    )
    with pytest.raises(SmartcarRateLimitError):
        await client.async_get_signals(EV_ID)
    assert sleeps == [MAX_RETRY_AFTER] * (MAX_ATTEMPTS - 1)


@pytest.mark.parametrize(
    "retry_after", ["soon", "-1", "nan", "inf", "", "Wed, 21 Oct 2026 07:28:00 GMT"]
)
async def test_unusable_retry_after_backs_off(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps, retry_after: str
) -> None:
    """A retry-after that is not a number of seconds falls back to the backoff."""
    aioclient_mock.get(
        SIGNALS_URL,
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"retry-after": retry_after},
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await client.async_get_signals(EV_ID)
    assert caught.value.retry_after is None
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize("failure", PASSING_TROUBLE)
async def test_passing_trouble_is_retried(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    failure: dict[str, Any],
) -> None:
    """A passing server error or broken connection does not fail the call."""
    aioclient_mock.get(CONNECTIONS_URL, side_effect=answers(failure, failure, {"json": page([])}))
    assert await client.async_list_vehicles() == []
    assert sleeps == [1.0, 2.0]


async def test_broken_connection_is_retried_then_reported(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """Smartcar unreachable: retried, then a connection error."""
    aioclient_mock.get(CONNECTIONS_URL, exc=ClientConnectionError("reset"))
    with pytest.raises(SmartcarConnectionError, match="Cannot reach Smartcar"):
        await client.async_list_vehicles()
    assert sleeps == [1.0, 2.0]
    assert aioclient_mock.call_count == MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, error_body("VALIDATION", "PARAMETER", 400)),
        (401, error_body("AUTHENTICATION", status=401)),
        (403, error_body("PERMISSION", status=403)),
        (404, error_body("RESOURCE_NOT_FOUND", "PATH", 404)),
        (409, error_body("VEHICLE_STATE", "ASLEEP", 409)),
        (430, error_body("BILLING", "VEHICLE_LIMIT", 430)),
        (501, error_body("COMPATIBILITY", "SMARTCAR_NOT_CAPABLE", 501)),
    ],
)
async def test_other_errors_are_not_retried(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    status: int,
    body: dict[str, Any],
) -> None:
    """An answer that will not change is reported at once."""
    aioclient_mock.get(SIGNALS_URL, status=status, json=body)
    with pytest.raises(SmartcarError):
        await client.async_get_signals(EV_ID)
    assert sleeps == []
    assert aioclient_mock.call_count == 1


async def test_refused_token_is_forgotten(
    token: ApplicationToken, session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token Smartcar rejects is replaced at once: the call is tried again with a new one."""
    aioclient_mock.post(
        TOKEN_URL,
        side_effect=answers({"json": token_payload("token-1")}, {"json": token_payload("token-2")}),
    )
    aioclient_mock.get(
        SIGNALS_URL,
        side_effect=answers(
            {"status": 401, "json": error_body("AUTHENTICATION", "INVALID_TOKEN", 401)},
            {"json": page([signal("charge-ischarging")])},
        ),
    )
    client = make_client(session, Sleeps(), token=token)
    assert len(await client.async_get_signals(EV_ID)) == 1
    bearers = [call[3]["Authorization"] for call in calls(aioclient_mock, "get", SIGNALS_URL)]
    assert bearers == ["Bearer token-1", "Bearer token-2"]
    assert len(token_requests(aioclient_mock)) == 2


async def test_other_refusals_keep_the_token(
    token: ApplicationToken, session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """A missing permission says nothing about the token: it is kept."""
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    aioclient_mock.get(VIN_URL, status=403, json=error_body("PERMISSION", status=403))
    client = make_client(session, Sleeps(), token=token)
    assert await client.async_get_vin(EV_ID) is None
    assert await client.async_get_vin(EV_ID) is None
    assert len(token_requests(aioclient_mock)) == 1


async def test_authentication_error_with_a_plain_token_callable(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token source without invalidate() is fine: the error is still reported."""
    aioclient_mock.get(SIGNALS_URL, status=401, json=error_body("AUTHENTICATION", status=401))
    with pytest.raises(SmartcarAuthError):
        await client.async_get_signals(EV_ID)


async def test_token_service_trouble_is_retried(
    token: ApplicationToken,
    session: ClientSession,
    sleeps: Sleeps,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The token service's passing trouble is retried like the API's."""
    aioclient_mock.post(
        TOKEN_URL,
        side_effect=answers(
            {"status": 503, "text": ""},
            {"status": 429, "headers": {"retry-after": "4"}},
            {"json": token_payload()},
        ),
    )
    aioclient_mock.get(CONNECTIONS_URL, json=page([]))
    client = make_client(session, sleeps, token=token)
    assert await client.async_list_vehicles() == []
    assert sleeps == [1.0, 4.0]


async def test_refused_credentials_fail_the_request(
    token: ApplicationToken,
    session: ClientSession,
    sleeps: Sleeps,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Credentials Smartcar refuses are an authentication error, not retried, no API call."""
    aioclient_mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    client = make_client(session, sleeps, token=token)
    with pytest.raises(SmartcarAuthError):
        await client.async_list_vehicles()
    assert aioclient_mock.call_count == 1
    assert not calls(aioclient_mock, "get", CONNECTIONS_URL)
    assert sleeps == []


async def test_token_refused_twice_is_an_authentication_error(
    token: ApplicationToken, session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """A new token refused as well: the credentials are the problem, said once."""
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    aioclient_mock.get(
        SIGNALS_URL, status=401, json=error_body("AUTHENTICATION", "INVALID_TOKEN", 401)
    )
    client = make_client(session, Sleeps(), token=token)
    with pytest.raises(SmartcarAuthError):
        await client.async_get_signals(EV_ID)
    assert len(calls(aioclient_mock, "get", SIGNALS_URL)) == 2
    assert len(token_requests(aioclient_mock)) == 2
