"""The application's token (api_token.py): the client-credentials grant, cached."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientConnectionError, ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api_errors import (
    SmartcarAuthError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarRateLimitError,
    SmartcarServerError,
)
from custom_components.smartcar.api_hosts import TOKEN_URL
from custom_components.smartcar.api_token import TOKEN_MARGIN_SECONDS, ApplicationToken
from tests.smartcar_api import (
    APP_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    error_body,
    token_payload,
    token_requests,
)

from .conftest import (
    OTHER_TOKEN_URL,
    Clock,
    Sleeps,
    answers,
    make_client,
)

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
