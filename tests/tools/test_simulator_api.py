"""The simulator's fake Smartcar API v3 (simulator/api.py) answers as API-v3.md documents.

The fake listens on a real loopback port; the requests are plain aiohttp, no Home
Assistant. The last test drives the integration's own API client (api.py) against it.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from custom_components.smartcar.api import (
    CONTROL_SCOPES,
    DEFAULT_SCOPES,
    SmartcarClient,
    SmartcarVehicle,
)
from custom_components.smartcar.api_errors import (
    SmartcarCompatibilityError,
    SmartcarPermissionError,
)
from custom_components.smartcar.api_token import ApplicationToken
import simulator
from simulator.api import (
    APPLICATION_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    SmartcarApi,
    vin,
)
from simulator.payloads import USER_ID

REDIRECT_URI = "https://car.example.org/api/smartcar/callback"
CALLBACK_URI = "https://car.example.org/api/webhook/0123456789abcdef"
GRANT = {
    "grant_type": "client_credentials",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}
V3_ERROR_FIELDS = {"type", "code", "title", "status", "detail", "resolution"}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No Home Assistant needed here (overrides the suite's autouse fixture)."""


@pytest.fixture
async def api(socket_enabled: None) -> AsyncIterator[SmartcarApi]:
    """The fake with three vehicles, one registered redirect URI, started."""
    async with SmartcarApi(vehicles=3, redirect_uris=[REDIRECT_URI]) as fake:
        yield fake


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client:
        yield client


async def _token(api: SmartcarApi, session: aiohttp.ClientSession) -> str:
    async with session.post(f"{api.url}/iam/oauth2/token", data=GRANT) as response:
        assert response.status == 200
        return str((await response.json())["access_token"])


async def _get(
    session: aiohttp.ClientSession,
    url: str,
    token: str | None,
    *,
    params: dict[str, str] | None = None,
    user: str | None = None,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if user:
        headers["sc-user-id"] = user
    async with session.get(url, params=params, headers=headers) as response:
        return response.status, await response.json()


async def test_token_for_the_client_credentials_grant(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """Form or JSON body: a bearer token for an hour; each grant is recorded."""
    async with session.post(f"{api.url}/iam/oauth2/token", data=GRANT) as response:
        assert response.status == 200
        body = await response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    async with session.post(f"{api.url}/iam/oauth2/token", json=GRANT) as response:
        assert response.status == 200
        second = (await response.json())["access_token"]
    assert second != body["access_token"]
    assert [grant.content_type for grant in api.token_grants] == [
        "application/x-www-form-urlencoded",
        "application/json",
    ]
    assert all(grant.form == GRANT for grant in api.token_grants)
    assert api.issued_tokens == [body["access_token"], second]


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({**GRANT, "client_secret": "wrong-secret"}, 401, "invalid_client"),
        ({**GRANT, "client_id": APPLICATION_ID}, 401, "invalid_client"),
        ({**GRANT, "grant_type": "authorization_code"}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": CLIENT_ID}, 400, "invalid_request"),
    ],
)
async def test_token_refused(
    api: SmartcarApi,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    """Wrong credentials are 401 invalid_client; a malformed request 400 invalid_request."""
    async with session.post(f"{api.url}/iam/oauth2/token", data=form) as response:
        assert response.status == status
        assert await response.json() == {"error": error}
    assert api.issued_tokens == []


async def test_credentials_in_basic_auth_are_not_taken(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """The client id and secret belong in the body (API-v3.md), not HTTP Basic."""
    async with session.post(
        f"{api.url}/iam/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={
            "Authorization": f"Basic {b64encode(f'{CLIENT_ID}:{CLIENT_SECRET}'.encode()).decode()}"
        },
    ) as response:
        assert response.status == 400
    assert api.token_grants[0].basic_auth


@pytest.mark.parametrize(
    "path",
    [
        "/vehicle/v3/connections",
        f"/vehicle/v3/vehicles/{simulator.fleet(1)[0].id}/signals/vehicleidentification-vin",
        "/management/v3/webhooks",
        "/management/v3/subscriptions",
    ],
)
async def test_every_api_call_needs_an_issued_bearer_token(
    api: SmartcarApi, session: aiohttp.ClientSession, path: str
) -> None:
    """No token, a token it did not issue, an expired one: 401 with a v3 error body."""
    valid = await _token(api, session)
    api.expire_tokens()
    for token in (None, "not-a-token", valid):
        status, body = await _get(session, f"{api.url}{path}", token, user=USER_ID)
        assert status == 401
        assert set(body) >= V3_ERROR_FIELDS
        assert body["type"] == "AUTHENTICATION"
        assert body["status"] == 401
    fresh = await _token(api, session)
    api.connect()
    api.add_webhook(CALLBACK_URI)
    status, _ = await _get(session, f"{api.url}{path}", fresh, user=USER_ID)
    assert status == 200
    assert [call.status for call in api.calls] == [401, 401, 401, 200]
    assert api.calls[-1].bearer == fresh


async def test_connect_redirects_with_the_user_and_state(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """Consent: 302 to redirect_uri?user_id=…&state=…; the vehicles are connected."""
    query = {
        "response_type": "code",
        "client_id": APPLICATION_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "read_battery read_vehicle_info required:read_location",
        "mode": "live",
        "state": "the-state",
    }
    async with session.get(
        f"{api.url}/connect/oauth/authorize", params=query, allow_redirects=False
    ) as response:
        assert response.status == 302
        location = URL(response.headers["Location"])
    assert str(location.with_query(None)) == REDIRECT_URI
    assert dict(location.query) == {"user_id": USER_ID, "state": "the-state"}
    (consent,) = api.consents
    assert consent.query == query
    assert consent.user_id == USER_ID
    assert {vehicle_id for _, vehicle_id in api.connections} == {v.id for v in api.fleet}
    assert {c.permissions for c in api.connections.values()} == {
        ("read_battery", "read_vehicle_info", "read_location")
    }


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": CLIENT_ID},  # the API client id is not Connect's client_id
        {"redirect_uri": None},
        {"redirect_uri": "https://elsewhere.example/callback"},
    ],
)
async def test_connect_refuses_a_wrong_client_or_redirect(
    api: SmartcarApi, session: aiohttp.ClientSession, change: dict[str, str | None]
) -> None:
    """An error page, no redirect: Connect cannot trust the redirect URI then."""
    query = {
        "response_type": "code",
        "client_id": APPLICATION_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s",
    }
    query = {key: value for key, value in (query | change).items() if value is not None}
    async with session.get(
        f"{api.url}/connect/oauth/authorize", params=query, allow_redirects=False
    ) as response:
        assert response.status == 400
        assert "Location" not in response.headers
    assert api.connections == {}


async def test_connect_denied_redirects_with_the_error(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """The owner refuses: error=access_denied and the state, no user."""
    api.deny_consent = True
    query = {
        "response_type": "code",
        "client_id": APPLICATION_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s",
    }
    async with session.get(
        f"{api.url}/connect/oauth/authorize", params=query, allow_redirects=False
    ) as response:
        assert response.status == 302
        location = URL(response.headers["Location"])
    assert location.query["error"] == "access_denied"
    assert location.query["state"] == "s"
    assert "user_id" not in location.query
    assert api.connections == {}


async def test_connections_are_paged(api: SmartcarApi, session: aiohttp.ClientSession) -> None:
    """filter[userId], page[number]/page[size]; meta and links.next until the last page."""
    token = await _token(api, session)
    api.connect()
    url = f"{api.url}/vehicle/v3/connections"
    params = {"filter[userId]": USER_ID, "page[size]": "2"}
    status, first = await _get(session, url, token, params=params)
    assert status == 200
    assert len(first["data"]) == 2
    assert first["meta"]["pageNumber"] == 1
    assert first["meta"]["pageSize"] == 2
    assert first["meta"]["totalCount"] == 3
    assert URL(first["links"]["next"]).query["page[number]"] == "2"
    status, second = await _get(session, first["links"]["next"], token)
    assert status == 200
    assert len(second["data"]) == 1
    assert second["links"]["next"] is None
    items = first["data"] + second["data"]
    cars = {car.id: car for car in api.fleet}
    for item in items:
        vehicle_id = item["relationships"]["vehicle"]["data"]["id"]
        assert item["relationships"]["user"]["data"]["id"] == USER_ID
        car = cars.pop(vehicle_id)
        vehicle = item["attributes"]["vehicle"]
        assert (vehicle["make"], vehicle["model"], vehicle["year"]) == (
            car.make,
            car.model,
            car.year,
        )
    assert cars == {}
    status, other = await _get(session, url, token, params={"filter[userId]": "someone-else"})
    assert (status, other["data"], other["meta"]["totalCount"]) == (200, [], 0)
    status, body = await _get(session, url, token, params={"page[size]": "0"})
    assert (status, body["type"]) == (400, "VALIDATION")


async def test_vin_and_signals_need_the_user(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """sc-user-id is required; the VIN needs read_vin; the other signals are the sim's."""
    token = await _token(api, session)
    car = api.fleet[0]
    base = f"{api.url}/vehicle/v3/vehicles/{car.id}"
    vin_url = f"{base}/signals/vehicleidentification-vin"
    status, body = await _get(session, vin_url, token)
    assert (status, body["type"], body["code"]) == (400, "VALIDATION", "MISSING_PARAMETER")
    status, body = await _get(session, vin_url, token, user=USER_ID)
    assert (status, body["code"]) == (404, "VEHICLE_NOT_FOUND")  # not connected yet
    api.connect()
    status, body = await _get(session, vin_url, token, user=USER_ID)
    assert status == 200
    assert body["data"]["attributes"]["body"] == {"value": vin(car)}
    assert body["included"]["vehicle"]["attributes"]["make"] == car.make
    status, body = await _get(session, f"{base}/signals/vin", token, user=USER_ID)
    assert (status, body["code"]) == (404, "SIGNAL_NOT_FOUND")
    status, body = await _get(session, f"{base}/signals", token, user=USER_ID, params={})
    assert status == 200
    assert body["meta"]["totalCount"] == 1 + len(simulator.payloads.SIGNALS)
    status, body = await _get(session, base, token)
    assert (status, body["data"]["attributes"]["model"]) == (200, car.model)
    api.connect(permissions=["read_vehicle_info"])
    status, body = await _get(session, vin_url, token, user=USER_ID)
    assert (status, body["type"]) == (403, "PERMISSION")


async def test_subscriptions(api: SmartcarApi, session: aiohttp.ClientSession) -> None:
    """Subscribe 202, again 409; list with filters; get; delete 204, then 404."""
    token = await _token(api, session)
    api.connect()
    webhook = api.add_webhook(CALLBACK_URI)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{api.url}/management/v3/subscriptions"

    async def subscribe(attributes: dict[str, str]) -> tuple[int, Any]:
        payload = {"data": {"attributes": attributes}}
        async with session.post(url, json=payload, headers=headers) as response:
            return response.status, await response.json()

    status, body = await _get(
        session,
        f"{api.url}/management/v3/webhooks",
        token,
        params={"filter[callbackUri]": CALLBACK_URI},
    )
    assert status == 200
    assert [(item["id"], item["attributes"]["callbackUri"]) for item in body["data"]] == [
        (webhook.id, CALLBACK_URI)
    ]
    wanted = {"webhookId": webhook.id, "userId": USER_ID}
    for car in api.fleet:
        status, body = await subscribe({**wanted, "vehicleId": car.id})
        assert (status, body) == (202, {"meta": {"message": "subscription creation in progress"}})
    status, body = await subscribe({**wanted, "vehicleId": api.fleet[0].id})
    assert (status, body["status"]) == (409, 409)
    status, body = await subscribe({**wanted, "webhookId": "no-such-webhook", "vehicleId": "x"})
    assert (status, body["code"]) == (404, "WEBHOOK_NOT_FOUND")
    status, body = await subscribe({"webhookId": webhook.id})
    assert (status, body["type"]) == (400, "VALIDATION")
    assert api.subscriptions_of(webhook.id) == {(USER_ID, car.id) for car in api.fleet}

    status, body = await _get(
        session,
        url,
        token,
        params={"filter[vehicleId]": api.fleet[1].id, "filter[userId]": USER_ID},
    )
    assert status == 200
    (item,) = body["data"]
    assert item["relationships"]["webhook"]["data"]["id"] == webhook.id
    assert item["relationships"]["vehicle"]["data"]["id"] == api.fleet[1].id
    status, single = await _get(session, f"{url}/{item['id']}", token)
    assert (status, single["data"]) == (200, item)
    async with session.delete(f"{url}/{item['id']}", headers=headers) as response:
        assert response.status == 204
        assert await response.read() == b""
    async with session.delete(f"{url}/{item['id']}", headers=headers) as response:
        assert response.status == 404
    assert [s.vehicle_id for s in api.deleted_subscriptions] == [api.fleet[1].id]
    assert len(api.subscriptions) == 2


async def test_injected_faults(api: SmartcarApi, session: aiohttp.ClientSession) -> None:
    """A test can make the next request fail, with a retry-after."""
    token = await _token(api, session)
    api.fail("/vehicle/v3/connections", 429, "RATE_LIMIT", "SMARTCAR_API", retry_after=2)
    url = f"{api.url}/vehicle/v3/connections"
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 429
        assert response.headers["retry-after"] == "2"
        assert (await response.json())["type"] == "RATE_LIMIT"
    status, _ = await _get(session, url, token)
    assert status == 200


async def test_the_integrations_client_against_the_fake(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """api.py lists, finds the webhook, subscribes (twice: 409 is fine) and unsubscribes."""
    api.connect()
    webhook = api.add_webhook(CALLBACK_URI)
    token = ApplicationToken(
        session, CLIENT_ID, CLIENT_SECRET, token_url=f"{api.url}/iam/oauth2/token"
    )
    client = SmartcarClient(
        session,
        token,
        USER_ID,
        vehicle_url=f"{api.url}/vehicle/v3",
        management_url=f"{api.url}/management/v3",
    )
    vehicles = await client.async_list_vehicles()
    assert vehicles == [
        SmartcarVehicle(id=car.id, make=car.make, model=car.model, year=car.year, vin=vin(car))
        for car in api.fleet
    ]
    assert await client.async_find_webhook(CALLBACK_URI) == webhook.id
    assert await client.async_find_webhook(f"{CALLBACK_URI}x") is None
    for _ in range(2):
        for vehicle in vehicles:
            await client.async_subscribe(vehicle.id, webhook.id)
    assert api.subscriptions_of(webhook.id) == {(USER_ID, v.id) for v in vehicles}
    await client.async_unsubscribe(vehicles[0].id, webhook.id)
    assert api.subscriptions_of(webhook.id) == {(USER_ID, v.id) for v in vehicles[1:]}
    signals = await client.async_get_signals(vehicles[0].id)
    assert {signal["code"] for signal in signals} >= set(simulator.payloads.SIGNAL_CODES)
    assert len(api.token_grants) == 1
    posts = [call.status for call in api.calls if call.method == "POST"]
    assert posts == [202] * len(vehicles) + [409] * len(vehicles)
    assert {call.status for call in api.calls if call.method != "POST"} == {200, 204}


def _control_client(api: SmartcarApi, session: aiohttp.ClientSession) -> SmartcarClient:
    """api.py's client against the fake, asking for the control permissions too."""
    token = ApplicationToken(
        session, CLIENT_ID, CLIENT_SECRET, token_url=f"{api.url}/iam/oauth2/token"
    )
    return SmartcarClient(
        session,
        token,
        USER_ID,
        scopes=[*DEFAULT_SCOPES, *CONTROL_SCOPES],
        vehicle_url=f"{api.url}/vehicle/v3",
        management_url=f"{api.url}/management/v3",
    )


async def test_the_integrations_commands_against_the_fake(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """api.py's commands change the simulated car; a signal read then shows what they did."""
    api.connect()
    client = _control_client(api, session)
    car, other = api.fleet[0].id, api.fleet[1].id
    unlocked = await client.commands.async_unlock(car)
    assert not unlocked.pending
    assert unlocked.request_id
    assert (unlocked.execution_id or "").startswith("exec_")
    await client.commands.async_start_charging(car)
    await client.commands.async_set_charge_limit(car, 90)
    bodies = {signal["code"]: signal["body"] for signal in await client.async_get_signals(car)}
    assert bodies["closure-islocked"] == {"value": False}
    assert bodies["charge-ischarging"] == {"value": True}
    assert bodies["charge-detailedchargingstatus"] == {"value": "CHARGING"}
    assert bodies["charge-chargelimits"]["activeLimit"] == 90
    others = {signal["code"]: signal["body"] for signal in await client.async_get_signals(other)}
    assert others["closure-islocked"] == {"value": True}
    await client.commands.async_lock(car)
    await client.commands.async_stop_charging(car)
    bodies = {signal["code"]: signal["body"] for signal in await client.async_get_signals(car)}
    assert (bodies["closure-islocked"], bodies["charge-ischarging"]) == (
        {"value": True},
        {"value": False},
    )
    with pytest.raises(SmartcarCompatibilityError) as caught:
        await client.commands.async_open_charge_port(car)
    assert caught.value.code == "VEHICLE_NOT_CAPABLE"
    api.pending_commands = True
    assert (await client.commands.async_lock(car)).pending
    commands = [call for call in api.calls if "/commands/" in call.path]
    assert {call.user_id for call in commands} == {USER_ID}
    assert [call.status for call in commands] == [200] * 5 + [501, 202]


async def test_commands_the_owner_did_not_permit(
    api: SmartcarApi, session: aiohttp.ClientSession
) -> None:
    """A connection without control_security: the fake refuses with 403 PERMISSION."""
    api.connect(permissions=["read_vehicle_info", "read_security", "control_charge"])
    client = _control_client(api, session)
    car = api.fleet[0].id
    with pytest.raises(SmartcarPermissionError) as caught:
        await client.commands.async_lock(car)
    assert caught.value.resolution == "REAUTHENTICATE"
    assert not (await client.commands.async_start_charging(car)).pending


@pytest.mark.parametrize(
    "body", [None, {"data": {"attributes": {"percent": 101}}}, {"percent": 80}, "80"]
)
async def test_charge_limit_the_fake_refuses(
    api: SmartcarApi, session: aiohttp.ClientSession, body: Any
) -> None:
    """A set-limit without a whole percentage from 50 to 100 is 400 VALIDATION."""
    api.connect()
    token = await _token(api, session)
    url = f"{api.url}/vehicle/v3/vehicles/{api.fleet[0].id}/commands/charge/set-limit"
    headers = {"Authorization": f"Bearer {token}", "sc-user-id": USER_ID}
    async with session.post(url, json=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["type"] == "VALIDATION"
    assert api.commanded == {}
