"""The API client (api.py): the Dashboard webhook, subscribing and unsubscribing."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientConnectionError
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.smartcar.api import (
    SmartcarClient,
)
from custom_components.smartcar.api_errors import (
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarServerError,
)
from custom_components.smartcar.api_transport import (
    PAGE_SIZE,
)
from tests.conftest import EV_ID, ICE_ID
from tests.smartcar_api import (
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    WEBHOOKS_URL,
    calls,
    error_body,
    page,
    subscriptions,
)

from .conftest import (
    CALLBACK,
    Sleeps,
    webhook,
)


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
