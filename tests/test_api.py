"""The Smartcar API v3 client: the application's token, requests, errors, retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
import json
from typing import Any
from unittest.mock import patch

from aiohttp import ClientConnectionError, ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api import (
    BACKOFF_SECONDS,
    DEFAULT_SCOPES,
    MANAGEMENT_API_URL,
    MAX_ATTEMPTS,
    MAX_PAGES,
    MAX_RETRY_AFTER,
    PAGE_SIZE,
    SCOPE_VEHICLE_INFO,
    SCOPE_VIN,
    TOKEN_MARGIN_SECONDS,
    TOKEN_URL,
    VEHICLE_API_URL,
    VIN_SIGNAL,
    ApplicationToken,
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
    is_transient_status,
)
from custom_components.smartcar.protocol import VehicleState, load_object, parse_event, read_signal

from .conftest import EV_ID, ICE_ID
from .smartcar_api import (
    APP_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    EV_VIN,
    OLD_ID,
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    VEHICLES,
    WEBHOOKS_URL,
    calls,
    connection,
    error_body,
    mock_api,
    page,
    subscriptions,
    token_payload,
    token_requests,
    vin_signal,
)

SIGNALS_URL = f"{VEHICLE_API_URL}/vehicles/{EV_ID}/signals"
VIN_URL = f"{SIGNALS_URL}/{VIN_SIGNAL}"
OTHER_TOKEN_URL = "https://iam.example.test/token"
CALLBACK = "https://ha.example.org/api/smartcar/webhook/5a1c0e9b"
# A signal time in seconds since the epoch, and the same in milliseconds.
SECONDS = 1764576000
MILLISECONDS = SECONDS * 1000


class Sleeps(list[float]):
    """A stand-in for asyncio.sleep that records how long the client would wait."""

    async def __call__(self, seconds: float) -> None:
        """Record the wait instead of waiting."""
        self.append(seconds)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


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


@pytest.fixture
def clock() -> Clock:
    """The clock of the token under test."""
    return Clock()


@pytest.fixture
def token(session: ClientSession, clock: Clock) -> ApplicationToken:
    """The application's token, fetched from the faked token service."""
    return ApplicationToken(session, CLIENT_ID, CLIENT_SECRET, clock=clock)


def token_getter(token: str = APP_TOKEN) -> Callable[[], Awaitable[str]]:
    """A token source without ``invalidate``, as any callable may be."""

    async def access_token() -> str:
        return token

    return access_token


@pytest.fixture
def client(session: ClientSession, sleeps: Sleeps) -> SmartcarClient:
    """A client with every default permission."""
    return SmartcarClient(session, token_getter(), USER_ID, sleep=sleeps)


@pytest.fixture
def client_without_vin(session: ClientSession, sleeps: Sleeps) -> SmartcarClient:
    """A client whose user was not asked for the VIN, so listing makes no VIN calls."""
    return make_client(session, sleeps, scopes=[s for s in DEFAULT_SCOPES if s != SCOPE_VIN])


def make_client(
    session: ClientSession,
    sleeps: Sleeps,
    *,
    token: Callable[[], Awaitable[str]] | None = None,
    scopes: Collection[str] = DEFAULT_SCOPES,
    **urls: str,
) -> SmartcarClient:
    """A client with its own token source, permissions or hosts."""
    return SmartcarClient(
        session, token or token_getter(), USER_ID, scopes=scopes, sleep=sleeps, **urls
    )


def answers(*responses: dict[str, Any]) -> Callable[..., Awaitable[AiohttpClientMockResponse]]:
    """A mock side effect answering one request after another with these responses."""
    remaining = iter(responses)

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        return AiohttpClientMockResponse(method, url, **next(remaining))

    return side_effect


def by_page(*bodies: Any) -> Callable[..., Awaitable[AiohttpClientMockResponse]]:
    """A mock side effect answering ``page[number]=n`` with the n-th body (the last after)."""

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        number = int(url.query["page[number]"])
        return AiohttpClientMockResponse(method, url, json=bodies[min(number, len(bodies)) - 1])

    return side_effect


def page_numbers(aioclient_mock: AiohttpClientMocker, url: str) -> list[str]:
    """The pages asked for, in order."""
    return [call[1].query["page[number]"] for call in calls(aioclient_mock, "get", url)]


def signal(code: str | None, meta: Any = None, **attributes: Any) -> dict[str, Any]:
    """A ``GET /vehicles/{id}/signals`` item."""
    item: dict[str, Any] = {
        "id": code,
        "type": "signal",
        "attributes": {
            "code": code,
            "name": "Name",
            "group": "Group",
            "status": {"value": "SUCCESS"},
            "body": {"value": 1},
            **attributes,
        },
        "links": {"self": "…"},
    }
    if meta is not None:
        item["meta"] = meta
    return item


def webhook(webhook_id: Any, callback_uri: Any) -> dict[str, Any]:
    """A ``GET /webhooks`` item."""
    return {"id": webhook_id, "type": "webhook", "attributes": {"callbackUri": callback_uri}}


# --- The application's token ------------------------------------------------------------


async def test_token_is_asked_for_with_the_credentials_in_the_body(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """The client-credentials grant sends id and secret in the form, not as Basic auth."""
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    assert await token() == APP_TOKEN
    ((_, url, data, headers),) = token_requests(aioclient_mock)
    assert data == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert "Authorization" not in headers
    assert not url.query  # the secret never goes into an address


async def test_token_service_address_can_be_changed(
    session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """Another token service (a test double, a proxy) is asked instead."""
    aioclient_mock.post(OTHER_TOKEN_URL, json=token_payload("other"))
    token = ApplicationToken(session, CLIENT_ID, CLIENT_SECRET, token_url=OTHER_TOKEN_URL)
    assert await token() == "other"


async def test_token_is_cached_until_shortly_before_it_expires(
    token: ApplicationToken, clock: Clock, aioclient_mock: AiohttpClientMocker
) -> None:
    """One request per token lifetime, renewed a margin before Smartcar's expiry."""
    aioclient_mock.post(
        TOKEN_URL,
        side_effect=answers(
            {"json": token_payload("token-1", 3600)}, {"json": token_payload("token-2", 3600)}
        ),
    )
    assert await token() == "token-1"
    assert await token() == "token-1"
    assert len(token_requests(aioclient_mock)) == 1
    clock.now += 3600 - TOKEN_MARGIN_SECONDS - 1
    assert await token() == "token-1"
    assert len(token_requests(aioclient_mock)) == 1
    clock.now += 1
    assert await token() == "token-2"
    assert await token() == "token-2"
    assert len(token_requests(aioclient_mock)) == 2


async def test_concurrent_callers_share_one_token_request(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """Several requests starting together do not each ask for a token."""

    async def slow_answer(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await asyncio.sleep(0)  # the others start meanwhile
        return AiohttpClientMockResponse(method, url, json=token_payload())

    aioclient_mock.post(TOKEN_URL, side_effect=slow_answer)
    assert await asyncio.gather(token(), token(), token()) == [APP_TOKEN] * 3
    assert len(token_requests(aioclient_mock)) == 1


async def test_short_lived_token_is_fetched_every_time(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token living less than the margin is never kept (and never goes negative)."""
    aioclient_mock.post(TOKEN_URL, json=token_payload(expires_in=30))
    await token()
    await token()
    assert len(token_requests(aioclient_mock)) == 2


async def test_invalidated_token_is_fetched_again(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token Smartcar refused is forgotten, however long it was meant to live."""
    aioclient_mock.post(
        TOKEN_URL,
        side_effect=answers({"json": token_payload("token-1")}, {"json": token_payload("token-2")}),
    )
    assert await token() == "token-1"
    token.invalidate()
    assert await token() == "token-2"
    assert len(token_requests(aioclient_mock)) == 2


@pytest.mark.parametrize("expires_in", ["missing", None, "soon", "3600", 0, -5, [60]])
async def test_token_lifetime_defaults_to_an_hour(
    token: ApplicationToken,
    clock: Clock,
    aioclient_mock: AiohttpClientMocker,
    expires_in: Any,
) -> None:
    """A missing or unusable expires_in is taken as Smartcar's documented hour."""
    payload: dict[str, Any] = {"access_token": APP_TOKEN, "token_type": "Bearer"}
    if expires_in != "missing":
        payload["expires_in"] = expires_in
    aioclient_mock.post(TOKEN_URL, json=payload)
    await token()
    clock.now += 3600 - TOKEN_MARGIN_SECONDS - 1
    await token()
    assert len(token_requests(aioclient_mock)) == 1
    clock.now += 1
    await token()
    assert len(token_requests(aioclient_mock)) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "code"),
    [
        (400, {"error": "invalid_request"}, None, SmartcarAuthError, "invalid_request"),
        (401, {"error": "invalid_client"}, None, SmartcarAuthError, "invalid_client"),
        (401, {"code": "INVALID_CLIENT"}, None, SmartcarAuthError, "INVALID_CLIENT"),
        (403, None, None, SmartcarAuthError, "HTTP"),
        (500, None, None, SmartcarServerError, None),
        (503, {"error": "unavailable"}, None, SmartcarServerError, None),
        (429, None, {"retry-after": "12"}, SmartcarRateLimitError, None),
    ],
)
async def test_token_errors(
    token: ApplicationToken,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any] | None,
    headers: dict[str, str] | None,
    error: type[SmartcarError],
    code: str | None,
) -> None:
    """Refused credentials ask for new ones; Smartcar's trouble and rate limits do not."""
    if body is None:
        aioclient_mock.post(TOKEN_URL, status=status, text="<html>no</html>", headers=headers)
    else:
        aioclient_mock.post(TOKEN_URL, status=status, json=body, headers=headers)
    with pytest.raises(error) as caught:
        await token()
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.code == code
    if error is SmartcarRateLimitError:
        assert caught.value.retry_after == 12.0
    assert CLIENT_SECRET not in str(caught.value)


async def test_token_rate_limit_without_retry_after(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token rate limit without a usable wait leaves the wait to the caller's backoff."""
    aioclient_mock.post(TOKEN_URL, status=429, headers={"retry-after": "later"})
    with pytest.raises(SmartcarRateLimitError) as caught:
        await token()
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"accessToken": APP_TOKEN, "expires_in": 3600}},
        {"json": {"access_token": "", "expires_in": 3600}},
        {"json": {"access_token": 42}},
        {"json": [APP_TOKEN]},
        {"text": f"<html>{APP_TOKEN}</html>"},
        {"text": ""},
    ],
)
async def test_token_answer_without_a_token(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker, answer: dict[str, Any]
) -> None:
    """A success without a usable token is not Smartcar's token service; nothing leaks."""
    aioclient_mock.post(TOKEN_URL, **answer)
    with pytest.raises(SmartcarConnectionError, match="without a token") as caught:
        await token()
    assert APP_TOKEN not in str(caught.value)


@pytest.mark.parametrize("raised", [ClientConnectionError("reset by peer"), TimeoutError()])
async def test_token_service_unreachable(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker, raised: Exception
) -> None:
    """A broken connection to the token service is a connection error."""
    aioclient_mock.post(TOKEN_URL, exc=raised)
    with pytest.raises(SmartcarConnectionError, match="token service") as caught:
        await token()
    assert caught.value.__cause__ is raised
    assert CLIENT_SECRET not in str(caught.value)


async def test_failed_token_fetch_is_tried_again_on_the_next_call(
    token: ApplicationToken, aioclient_mock: AiohttpClientMocker
) -> None:
    """A failure is not remembered as a token."""
    aioclient_mock.post(
        TOKEN_URL, side_effect=answers({"status": 503, "text": ""}, {"json": token_payload()})
    )
    with pytest.raises(SmartcarServerError):
        await token()
    assert await token() == APP_TOKEN


async def test_token_never_appears_in_errors(
    token: ApplicationToken, session: ClientSession, aioclient_mock: AiohttpClientMocker
) -> None:
    """An API error after a good token says what failed without the token."""
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    aioclient_mock.get(CONNECTIONS_URL, status=401, json=error_body("AUTHENTICATION", status=401))
    client = make_client(session, Sleeps(), token=token)
    with pytest.raises(SmartcarAuthError) as caught:
        await client.async_list_vehicles()
    assert APP_TOKEN not in str(caught.value)
    assert APP_TOKEN not in repr(caught.value.args)


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


# --- Vehicles -----------------------------------------------------------------------------


async def test_lists_vehicles_with_details(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Make, model and year from the connection, the VIN where the owner permitted it."""
    mock_api(aioclient_mock)
    assert await client.async_list_vehicles() == [
        SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023, vin=EV_VIN),
        SmartcarVehicle(id=ICE_ID, make="TOYOTA", model="Corolla", year=2019, vin=None),
    ]
    (vin_call,) = calls(aioclient_mock, "get", VIN_URL)
    assert vin_call[3]["sc-user-id"] == USER_ID


async def test_vehicles_across_pages_by_next_link(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Pages are followed while links.next points on."""
    aioclient_mock.get(
        CONNECTIONS_URL,
        side_effect=by_page(
            page([connection(EV_ID), connection(ICE_ID)], number=1, total=120),
            page([connection(OLD_ID)], number=2, total=120),
            page([], number=3, total=120),
        ),
    )
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.id for vehicle in vehicles] == [EV_ID, ICE_ID, OLD_ID]
    assert page_numbers(aioclient_mock, CONNECTIONS_URL) == ["1", "2", "3"]


async def test_vehicles_across_pages_by_total_count(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Without a next link, the total count says whether more pages follow."""
    aioclient_mock.get(
        CONNECTIONS_URL,
        side_effect=by_page(
            {"data": [connection(EV_ID)], "meta": {"totalCount": 2}, "links": {"self": "…"}},
            {"data": [connection(ICE_ID)], "meta": {"totalCount": 2}},
        ),
    )
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.id for vehicle in vehicles] == [EV_ID, ICE_ID]
    assert page_numbers(aioclient_mock, CONNECTIONS_URL) == ["1", "2"]


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
    with patch("custom_components.smartcar.api.MAX_PAGES", 3):
        aioclient_mock.clear_requests()
        aioclient_mock.get(SUBSCRIPTIONS_URL, json=body)
        aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/x", status=204)
        await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
        assert page_numbers(aioclient_mock, SUBSCRIPTIONS_URL) == ["1", "2", "3"]


async def test_connections_without_a_vehicle_are_skipped(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Only items naming a vehicle are vehicles; missing details are unknown, not errors."""
    without = connection(ICE_ID)
    del without["relationships"]
    items: list[Any] = [
        without,
        {"id": "c2", "relationships": {"vehicle": {"data": None}}},
        {"id": "c3", "relationships": {"vehicle": {"data": {"id": ""}}}},
        {"id": "c4", "relationships": {"vehicle": {"data": {"id": 7}}}},
        {"id": "c5", "relationships": {"vehicle": None}},
        {"id": "c6", "relationships": []},
        "not an object",
        None,
        {"relationships": {"vehicle": {"data": {"id": EV_ID}}}},
        {"attributes": [], "relationships": {"vehicle": {"data": {"id": ICE_ID}}}},
        {"attributes": {"vehicle": "KIA"}, "relationships": {"vehicle": {"data": {"id": OLD_ID}}}},
    ]
    aioclient_mock.get(CONNECTIONS_URL, json=page(items))
    mock_api(aioclient_mock, (EV_ID, ICE_ID, OLD_ID))
    assert await client.async_list_vehicles() == [
        SmartcarVehicle(id=EV_ID, vin=EV_VIN),
        SmartcarVehicle(id=ICE_ID),
        SmartcarVehicle(id=OLD_ID),
    ]


async def test_vin_not_asked_for_is_not_requested(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Without the VIN permission the client does not even ask."""
    mock_api(aioclient_mock)
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.vin for vehicle in vehicles] == [None, None]
    assert [vehicle.make for vehicle in vehicles] == ["KIA", "TOYOTA"]
    assert not calls(aioclient_mock, "get", VIN_URL)
    assert await client_without_vin.async_get_vin(EV_ID) is None
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, error_body("PERMISSION", status=403, resolution="REAUTHENTICATE")),
        (404, error_body("RESOURCE_NOT_FOUND", "SIGNAL_NOT_FOUND", 404)),
        (501, error_body("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", 501)),
        (403, None),
        (404, None),
        (501, None),
    ],
)
async def test_vin_not_permitted_is_no_vin(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    status: int,
    body: dict[str, Any] | None,
) -> None:
    """A VIN the owner did not grant (or the car cannot give) is simply unknown."""
    aioclient_mock.get(VIN_URL, status=status, json=body, text=None if body else "")
    mock_api(aioclient_mock, (EV_ID,))
    assert await client.async_get_vin(EV_ID) is None
    (vehicle,) = await client.async_list_vehicles()
    assert vehicle == SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023)
    assert sleeps == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": None},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": "KNDC3"}}},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": {"value": 12}}}},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": {"value": ""}}}},
        {
            "data": {
                "attributes": {
                    "code": VIN_SIGNAL,
                    "status": {"value": "ERROR", "error": {"type": "COMPATIBILITY"}},
                    "body": {},
                }
            }
        },
        {},
    ],
)
async def test_vin_answer_without_a_vin(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, body: dict[str, Any]
) -> None:
    """A VIN signal without a text value is no VIN."""
    aioclient_mock.get(VIN_URL, json=body)
    assert await client.async_get_vin(EV_ID) is None


async def test_vin_from_its_signal(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The VIN is the VIN signal's body value."""
    aioclient_mock.get(VIN_URL, json=vin_signal(EV_VIN))
    assert await client.async_get_vin(EV_ID) == EV_VIN


async def test_vin_failures_other_than_permission_are_reported(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar's trouble reading the VIN is not taken for a missing VIN."""
    aioclient_mock.get(VIN_URL, status=430, json=error_body("BILLING", "VEHICLE_LIMIT", 430))
    with pytest.raises(SmartcarBillingError):
        await client.async_get_vin(EV_ID)


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"data": {"id": EV_ID}}},
        {"json": {"data": None}},
        {"json": {"data": "connections"}},
        {"json": {"connections": []}},
        {"json": ["not", "an", "object"]},
        {"text": ""},
        {"text": "<html>captive portal</html>"},
    ],
)
async def test_malformed_listing(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, answer: dict[str, Any]
) -> None:
    """An answer that is not Smartcar's list shape is a connection problem, not a crash."""
    aioclient_mock.get(CONNECTIONS_URL, **answer)
    with pytest.raises(SmartcarConnectionError):
        await client.async_list_vehicles()


# --- Signals ------------------------------------------------------------------------------


async def test_signals_in_the_delivery_shape(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Each signal is flat like a webhook's, its times in milliseconds like a delivery's."""
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                signal(
                    "tractionbattery-stateofcharge",
                    {"retrievedAt": SECONDS, "oemUpdatedAt": SECONDS - 100},
                    name="StateOfCharge",
                    group="TractionBattery",
                    body={"value": 80, "unit": "percent"},
                ),
                signal("odometer-traveleddistance", {"retrievedAt": MILLISECONDS}),
                signal("charge-ischarging", {"retrievedAt": "2025-12-01T08:00:00.000Z"}),
                signal(
                    "location-preciselocation",
                    {"retrievedAt": SECONDS + 0.5, "ingestedAt": None, "seq": 0},
                ),
                signal("closure-islocked"),
                signal("hvac-isactive", "not a mapping"),
            ]
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    assert signals[0] == {
        "code": "tractionbattery-stateofcharge",
        "name": "StateOfCharge",
        "group": "TractionBattery",
        "status": {"value": "SUCCESS"},
        "body": {"value": 80, "unit": "percent"},
        "meta": {"retrievedAt": MILLISECONDS, "oemUpdatedAt": MILLISECONDS - 100_000},
    }
    assert [s["meta"] for s in signals[1:]] == [
        {"retrievedAt": MILLISECONDS},
        {"retrievedAt": "2025-12-01T08:00:00.000Z"},
        {"retrievedAt": MILLISECONDS + 500, "ingestedAt": None, "seq": 0},
        {},
        {},
    ]
    (request,) = calls(aioclient_mock, "get", SIGNALS_URL)
    assert request[3]["sc-user-id"] == USER_ID
    assert request[1].query == {"page[number]": "1", "page[size]": str(PAGE_SIZE)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1000),
        (99_999_999_999, 99_999_999_999_000),  # the last second read as seconds
        (100_000_000_000, 100_000_000_000),  # the first millisecond
        (0, 0),
        (-5, -5),
        (True, True),
        ("1764576000", "1764576000"),
        ([SECONDS], [SECONDS]),
    ],
)
async def test_signal_time_units(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, value: Any, expected: Any
) -> None:
    """Only positive numbers below the millisecond range are taken as seconds."""
    aioclient_mock.get(SIGNALS_URL, json=page([signal("odometer-x", {"retrievedAt": value})]))
    (result,) = await client.async_get_signals(EV_ID)
    assert result["meta"]["retrievedAt"] == expected
    assert type(result["meta"]["retrievedAt"]) is type(expected)


async def test_signals_without_a_code_are_dropped(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An item the integration could not name is not passed on."""
    nameless = signal("charge-x")
    del nameless["attributes"]["code"]
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                nameless,
                signal(""),
                signal(None),
                {"id": "x", "type": "signal", "meta": {}},
                {"id": "x", "type": "signal", "attributes": ["code"]},
                "charge-ischarging",
                signal("charge-ischarging"),
            ]
        ),
    )
    assert [s["code"] for s in await client.async_get_signals(EV_ID)] == ["charge-ischarging"]


async def test_signals_across_pages(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Every page of signals is read."""
    first = [signal(f"group-signal{n}") for n in range(PAGE_SIZE)]
    aioclient_mock.get(
        SIGNALS_URL,
        side_effect=by_page(
            page(first, number=1, total=PAGE_SIZE + 1),
            page([signal("group-last")], number=2, total=PAGE_SIZE + 1),
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    assert len(signals) == PAGE_SIZE + 1
    assert signals[-1]["code"] == "group-last"
    assert page_numbers(aioclient_mock, SIGNALS_URL) == ["1", "2"]


async def test_vehicle_without_signals(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A vehicle never subscribed to a webhook answers with no data: no signals."""
    aioclient_mock.get(SIGNALS_URL, json=page([]))
    assert await client.async_get_signals(EV_ID) == []


# --- Webhooks and subscriptions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "listed"),
    [
        (CALLBACK, CALLBACK),
        (CALLBACK, f"{CALLBACK}/"),
        (f"{CALLBACK}/", CALLBACK),
    ],
)
async def test_finds_the_webhook_calling_home_assistant(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, asked: str, listed: str
) -> None:
    """The webhook whose callback is this Home Assistant's address, a trailing slash aside."""
    aioclient_mock.get(
        WEBHOOKS_URL,
        json=page(
            [
                webhook("other", "https://elsewhere.example.org/hook"),
                webhook("prefix", f"{CALLBACK}x"),
                webhook("mine", listed),
                webhook("later", CALLBACK),
            ]
        ),
    )
    assert await client.async_find_webhook(asked) == "mine"
    (request,) = calls(aioclient_mock, "get", WEBHOOKS_URL)
    assert request[1].query["filter[callbackUri]"] == asked
    assert "sc-user-id" not in request[3]


@pytest.mark.parametrize(
    "items",
    [
        [],
        [webhook("other", "https://elsewhere.example.org/hook")],
        [webhook("prefix", f"{CALLBACK}/more"), webhook("case", CALLBACK.upper())],
        [webhook(None, CALLBACK), webhook("", CALLBACK), webhook(7, CALLBACK)],
        [webhook("no-uri", None), {"id": "bare"}, {"id": "odd", "attributes": CALLBACK}],
    ],
)
async def test_no_webhook_calls_home_assistant(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, items: list[dict[str, Any]]
) -> None:
    """Without an exact match (and an id to subscribe to) there is no webhook."""
    aioclient_mock.get(WEBHOOKS_URL, json=page(items))
    assert await client.async_find_webhook(CALLBACK) is None


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 202, "json": {"meta": {"message": "subscription creation in progress"}}},
        {"status": 202, "text": ""},
        {"status": 201, "json": {"data": {"id": "sub-1", "type": "subscription"}}},
        {"status": 409, "json": error_body("CONFLICT", status=409)},
        {"status": 409, "text": ""},
    ],
)
async def test_subscribe(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    answer: dict[str, Any],
) -> None:
    """Subscribing sends webhook, user and vehicle; accepted or already there is success."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, **answer)
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert subscriptions(aioclient_mock) == [
        {"webhookId": SMARTCAR_WEBHOOK_ID, "userId": USER_ID, "vehicleId": EV_ID}
    ]
    ((_, url, data, headers),) = calls(aioclient_mock, "post", SUBSCRIPTIONS_URL)
    assert data == {
        "data": {
            "attributes": {
                "webhookId": SMARTCAR_WEBHOOK_ID,
                "userId": USER_ID,
                "vehicleId": EV_ID,
            }
        }
    }
    assert not url.query
    assert "sc-user-id" not in headers
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, error_body("VALIDATION", "PARAMETER", 400), SmartcarError),
        (401, error_body("AUTHENTICATION", status=401), SmartcarAuthError),
        (403, error_body("PERMISSION", status=403), SmartcarPermissionError),
        (404, error_body("RESOURCE_NOT_FOUND", "WEBHOOK", 404), SmartcarNotFoundError),
        (430, error_body("BILLING", "VEHICLE_LIMIT", 430), SmartcarBillingError),
        (500, error_body("SERVER", "INTERNAL", 500), SmartcarServerError),
    ],
)
async def test_subscribe_failures(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    error: type[SmartcarError],
) -> None:
    """Any refusal other than "already subscribed" is reported with its type."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, status=status, json=body)
    with pytest.raises(error) as caught:
        await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert type(caught.value) is error
    assert caught.value.status == status


async def test_subscribe_unreachable(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A subscription that could not be sent is not taken for one that exists."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, exc=ClientConnectionError("reset"))
    with pytest.raises(SmartcarConnectionError):
        await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)


async def test_unsubscribe_deletes_each_subscription(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The vehicle's subscriptions to the webhook are listed, then each one deleted."""
    aioclient_mock.get(
        SUBSCRIPTIONS_URL,
        json=page(
            [
                {"id": "sub-1", "type": "subscription"},
                {"type": "subscription"},
                {"id": "", "type": "subscription"},
                {"id": 3, "type": "subscription"},
                {"id": "sub-2", "type": "subscription"},
            ]
        ),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-1", status=204, text="")
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-2", status=200, json={"meta": {}})
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    (listing,) = calls(aioclient_mock, "get", SUBSCRIPTIONS_URL)
    assert listing[1].query == {
        "filter[webhookId]": SMARTCAR_WEBHOOK_ID,
        "filter[vehicleId]": EV_ID,
        "filter[userId]": USER_ID,
        "page[number]": "1",
        "page[size]": str(PAGE_SIZE),
    }
    deleted = [str(call[1]) for call in aioclient_mock.mock_calls if call[0].lower() == "delete"]
    assert deleted == [f"{SUBSCRIPTIONS_URL}/sub-1", f"{SUBSCRIPTIONS_URL}/sub-2"]


async def test_unsubscribe_without_subscriptions(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Nothing subscribed: nothing deleted, no error."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([]))
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert aioclient_mock.call_count == 1


async def test_unsubscribe_from_a_subscription_already_gone(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A subscription deleted meanwhile is what was wanted; the others are still deleted."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([{"id": "sub-1"}, {"id": "sub-2"}]))
    aioclient_mock.delete(
        f"{SUBSCRIPTIONS_URL}/sub-1",
        status=404,
        json=error_body("RESOURCE_NOT_FOUND", "SUBSCRIPTION", 404),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-2", status=204)
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/sub-2")) == 1


async def test_unsubscribe_refused(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A delete Smartcar refuses is reported."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([{"id": "sub-1"}]))
    aioclient_mock.delete(
        f"{SUBSCRIPTIONS_URL}/sub-1", status=403, json=error_body("PERMISSION", status=403)
    )
    with pytest.raises(SmartcarPermissionError):
        await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)


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


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": error_body("SERVER", "INTERNAL", 500)},
        {"status": 502, "json": error_body("UPSTREAM", "UNKNOWN_ISSUE", 502)},
        {"status": 503, "text": "Service Unavailable"},
        {"status": 504, "text": ""},
        {"exc": ClientConnectionError("reset")},
        {"exc": TimeoutError()},
        {"status": 200, "text": "<html>captive portal</html>"},
    ],
)
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


# --- Vehicles as stored -------------------------------------------------------------------


def test_vehicle_from_stored_dict() -> None:
    """Stored or received vehicles are read tolerantly, and round-trip."""
    vehicle = SmartcarVehicle.from_dict({**VEHICLES[EV_ID], "vin": EV_VIN})
    assert vehicle == SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023, vin=EV_VIN)
    assert vehicle.as_dict() == {**VEHICLES[EV_ID], "vin": EV_VIN}
    assert SmartcarVehicle.from_dict(vehicle.as_dict()) == vehicle
    odd = SmartcarVehicle.from_dict({"id": 7, "make": "", "model": 3, "year": True, "vin": []})
    assert odd == SmartcarVehicle(id="7")
    assert SmartcarVehicle.from_dict({"id": "x", "year": "2020"}).year is None
    assert SmartcarVehicle.from_dict({"id": "x", "year": 2020.0}).year is None
    assert SmartcarVehicle.from_dict({"id": "x"}).as_dict() == {
        "id": "x",
        "make": None,
        "model": None,
        "year": None,
        "vin": None,
    }


def test_default_permissions_cover_the_entities() -> None:
    """Every read permission the entities need is asked for by default; no control ones."""
    assert SCOPE_VIN in DEFAULT_SCOPES
    assert "read_location" in DEFAULT_SCOPES
    assert not [scope for scope in DEFAULT_SCOPES if not scope.startswith("read_")]
    assert len(set(DEFAULT_SCOPES)) == len(DEFAULT_SCOPES)


def test_addresses() -> None:
    """API v3's hosts."""
    assert VEHICLE_API_URL == "https://vehicle.api.smartcar.com/v3"
    assert MANAGEMENT_API_URL == "https://management.api.smartcar.com/v3"
    assert TOKEN_URL == "https://iam.smartcar.com/oauth2/token"


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


async def test_unsubscribe_never_deletes_another_vehicles_subscription(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Should the list ignore its filters, only items of this vehicle and webhook go."""

    def item(subscription_id: str, vehicle_id: str, webhook_id: str) -> dict[str, Any]:
        return {
            "id": subscription_id,
            "type": "subscription",
            "relationships": {
                "vehicle": {"data": {"id": vehicle_id}},
                "webhook": {"data": {"id": webhook_id}},
            },
        }

    aioclient_mock.get(
        SUBSCRIPTIONS_URL,
        json=page(
            [
                item("mine", EV_ID, SMARTCAR_WEBHOOK_ID),
                item("other-car", ICE_ID, SMARTCAR_WEBHOOK_ID),
                item("other-hook", EV_ID, "another-webhook"),
            ]
        ),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/mine", status=204, text="")
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    deleted = [str(call[1]) for call in aioclient_mock.mock_calls if call[0].lower() == "delete"]
    assert deleted == [f"{SUBSCRIPTIONS_URL}/mine"]


async def test_signals_read_by_the_webhook_path(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The API's signals, in a delivery's envelope, read as a delivery's (ms, ISO, seconds)."""
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                {
                    "id": "tractionbattery-stateofcharge",
                    "type": "signal",
                    "attributes": {
                        "code": "tractionbattery-stateofcharge",
                        "name": "StateOfCharge",
                        "group": "TractionBattery",
                        "status": {"value": "SUCCESS"},
                        "body": {"value": 71, "unit": "percent"},
                    },
                    "meta": {"oemUpdatedAt": 1764576000, "retrievedAt": 1764576060},
                    "links": {"self": "…"},
                },
                {
                    "id": "charge-ischarging",
                    "type": "signal",
                    "attributes": {
                        "code": "charge-ischarging",
                        "name": "IsCharging",
                        "group": "Charge",
                        "status": {"value": "SUCCESS"},
                        "body": {"value": True},
                    },
                    "meta": {"oemUpdatedAt": "2025-12-01T08:00:00Z", "retrievedAt": 1764576060000},
                },
            ]
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    envelope = {
        "eventId": "refresh-1",
        "eventType": "VEHICLE_STATE",
        "data": {"vehicle": {"id": EV_ID}, "signals": signals},
        "meta": {"version": "4.0"},
    }
    event = parse_event(load_object(json.dumps(envelope).encode()))
    assert isinstance(event, VehicleState)
    read = {
        signal.code: signal
        for item in event.signal_objects
        if (signal := read_signal(item)) is not None
    }
    assert read["tractionbattery-stateofcharge"].body == {"value": 71, "unit": "percent"}
    assert read["tractionbattery-stateofcharge"].oem_updated_at == 1_764_576_000_000
    assert read["charge-ischarging"].oem_updated_at == 1_764_576_000_000
    assert read["charge-ischarging"].retrieved_at == 1_764_576_060_000
