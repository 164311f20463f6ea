"""Talk to a running Home Assistant the way its frontend does: REST and one WebSocket call.

Onboarding (owner account, then the remaining steps), login, the config-flow REST API that
adds the Smartcar entry (webhook only, or Smartcar Connect with the owner's browser played
here), the state machine and the entity registry. Plain aiohttp, no Home Assistant
imports: the server is a separate process and this is its client.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Collection, Sequence

DOMAIN: Final = "smartcar"
WEBHOOK_PATH: Final = "/api/webhook/"
# Options of the Smartcar flow's menus this client picks, in order of preference: the
# webhook-only set-up (no Smartcar account sign-in), then "finish" without waiting for a
# VERIFY from Smartcar (the simulator sends its own).
MENU_CHOICES: Final = ("webhook_only", "finish")
MAX_FLOW_STEPS: Final = 10
MAX_REDIRECTS: Final = 10


class HomeAssistantError(Exception):
    """Home Assistant answered a request with something other than what was asked for."""


@dataclass(frozen=True, slots=True)
class SmartcarEntry:
    """What the demo and the tests need to know of a created Smartcar entry."""

    entry_id: str
    title: str
    webhook_id: str

    def webhook_url(self, base_url: str) -> str:
        """Where the simulator posts: the webhook on the server's loopback address."""
        return f"{base_url}{WEBHOOK_PATH}{self.webhook_id}"


@dataclass(frozen=True, slots=True)
class ConnectEntry(SmartcarEntry):
    """A Smartcar Connect entry, and what its flow showed and chose on the way."""

    redirect_uri: str  # the redirect URI the credentials step asked to register
    callback_url: str  # the callback URL the webhook step showed (the Dashboard webhook's)
    consent_url: str  # Smartcar Connect's address the flow sent the browser to
    scopes: tuple[str, ...]  # the permissions asked for
    vehicles: dict[str, str]  # the subscribed vehicles: id -> the label the flow showed


class StateChanges(list[tuple[str, str | None]]):
    """``(entity_id, new state)`` pairs as they arrive, with a way to wait for one."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self._grew = asyncio.Event()

    def add(self, entity_id: str, state: str | None) -> None:
        """Record one change and wake the waiters."""
        self.append((entity_id, state))
        self._grew.set()

    async def wait_for(self, done: Callable[[StateChanges], bool], seconds: float) -> None:
        """Wait until ``done(self)`` holds; raise TimeoutError after ``seconds``."""
        async with asyncio.timeout(seconds):
            while not done(self):
                self._grew.clear()
                await self._grew.wait()


class HomeAssistantClient:
    """A logged-in (after ``onboard`` or ``login``) client of one server."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use ``session`` for every request to ``base_url`` (no trailing slash)."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    @property
    def client_id(self) -> str:
        """The OAuth client id the frontend of this server would use (its own URL)."""
        return f"{self.base_url}/"

    # --- Requests -----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self.access_token is None:
            return {}
        return {"Authorization": f"Bearer {self.access_token}"}

    async def request(  # noqa: PLR0913 (the keywords of one HTTP request)
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        auth: bool = True,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        """Send one request; return the JSON answer; raise unless the status is expected."""
        headers = self._headers() if auth else {}
        async with self.session.request(
            method, f"{self.base_url}{path}", json=json, data=data, headers=headers
        ) as response:
            text = await response.text()
            if response.status not in expect:
                raise HomeAssistantError(
                    f"{method} {path} answered {response.status}: {text[:500]}"
                )
            if not text:
                return None
            try:
                return await response.json(content_type=None)
            except ValueError:
                return text

    async def get(self, path: str) -> Any:
        """GET with the access token."""
        return await self.request("GET", path)

    async def post(self, path: str, payload: Any = None) -> Any:
        """POST JSON with the access token."""
        return await self.request("POST", path, json=payload if payload is not None else {})

    # --- Onboarding and login -------------------------------------------------------------

    async def onboarding_status(self) -> dict[str, bool]:
        """Each onboarding step and whether it is done.

        Empty once onboarding is complete: Home Assistant then no longer serves it.
        """
        steps = await self.request("GET", "/api/onboarding", auth=False, expect=(200, 404))
        if not isinstance(steps, list):
            return {}
        return {step["step"]: bool(step["done"]) for step in steps}

    async def onboard(
        self,
        *,
        name: str,
        username: str,
        password: str,
        language: str = "en",
        complete: bool = True,
    ) -> None:
        """Create the owner account and log in as the owner; with ``complete``, finish.

        Finishing goes through the steps the onboarding screens do (location, analytics and
        integrations left at their defaults), so the frontend opens on the dashboard. The
        location step also starts the flows of the integrations Home Assistant suggests to
        new users (met, radio_browser, google_translate, shopping_list), which reach the
        internet when their packages are installed; a test server needs only the account.
        """
        answer = await self.request(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": language,
            },
            auth=False,
        )
        await self._exchange_code(answer["auth_code"])
        if complete:
            await self.finish_onboarding()

    async def finish_onboarding(self) -> None:
        """Complete the onboarding steps after the owner account (logged in as the owner)."""
        status = await self.onboarding_status()
        if not status.get("core_config", True):
            await self.post("/api/onboarding/core_config")
        if not status.get("analytics", True):
            await self.post("/api/onboarding/analytics")
        if not status.get("integration", True):
            await self.post(
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.client_id}?auth_callback=1"},
            )

    async def login(self, username: str, password: str) -> None:
        """Log in with a username and password, as the login page does."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"username": username, "password": password, "client_id": self.client_id},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"login as {username!r} failed: {result.get('errors')}")
        await self._exchange_code(result["result"])

    async def _exchange_code(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    # --- State and registries ---------------------------------------------------------------

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state object, by entity id (``GET /api/states``)."""
        return {state["entity_id"]: state for state in await self.get("/api/states")}

    async def config_entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """The config entries of one integration."""
        entries: list[dict[str, Any]] = await self.get(
            f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    @contextlib.asynccontextmanager
    async def _websocket(self) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        async with self.session.ws_connect(f"{self.base_url}/api/websocket") as ws:
            hello = await ws.receive_json()
            if hello.get("type") != "auth_required":
                raise HomeAssistantError(f"unexpected WebSocket greeting: {hello}")
            await ws.send_json({"type": "auth", "access_token": self.access_token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise HomeAssistantError(f"WebSocket login failed: {auth}")
            yield ws

    async def websocket_command(self, command: dict[str, Any]) -> Any:
        """Run one WebSocket API command (for what REST does not offer) and return its result."""
        async with self._websocket() as ws:
            await ws.send_json({"id": 1, **command})
            answer = await ws.receive_json()
        if not answer.get("success"):
            raise HomeAssistantError(f"{command['type']} failed: {answer.get('error')}")
        return answer["result"]

    @contextlib.asynccontextmanager
    async def state_changes(self) -> AsyncIterator[StateChanges]:
        """Record ``(entity_id, new state)`` of every state change while the block runs.

        The list fills in the background (a WebSocket subscription to ``state_changed``),
        in the order Home Assistant made the changes.
        """
        changes = StateChanges()
        async with self._websocket() as ws:
            await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
            answer = await ws.receive_json()
            if not answer.get("success"):
                raise HomeAssistantError(f"subscribe_events failed: {answer.get('error')}")

            async def collect() -> None:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    data = message.json().get("event", {}).get("data", {})
                    new_state = data.get("new_state") or {}
                    changes.add(data.get("entity_id"), new_state.get("state"))

            task = asyncio.create_task(collect())
            try:
                yield changes
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def entity_registry(self, platform: str = DOMAIN) -> list[dict[str, Any]]:
        """The entity registry's entries of one integration (their unique ids, devices...)."""
        entries = await self.websocket_command({"type": "config/entity_registry/list"})
        return [entry for entry in entries if entry.get("platform") == platform]

    async def device_registry(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """The devices of one integration (identified by ``[domain, id]`` pairs)."""
        devices = await self.websocket_command({"type": "config/device_registry/list"})
        return [
            device
            for device in devices
            if any(identifier[0] == domain for identifier in device.get("identifiers", []))
        ]

    # --- Adding the Smartcar entry ------------------------------------------------------

    async def create_smartcar_entry(self, *, name: str, token: str) -> SmartcarEntry:
        """Add a webhook-only Smartcar entry through the config-flow REST API.

        Menus are answered with MENU_CHOICES (webhook-only set-up, finish without waiting
        for Smartcar's VERIFY); forms get the name and the Application Management Token.
        The webhook id is read from the callback URL the flow shows.
        """
        result = await self.post(
            "/api/config/config_entries/flow", {"handler": DOMAIN, "show_advanced_options": False}
        )
        webhook_url: str | None = None
        for _ in range(MAX_FLOW_STEPS):
            placeholders = result.get("description_placeholders") or {}
            webhook_url = placeholders.get("webhook_url") or webhook_url
            kind = result.get("type")
            if kind == "create_entry":
                entry = result["result"]
                return SmartcarEntry(
                    entry_id=entry["entry_id"],
                    title=entry["title"],
                    webhook_id=_webhook_id(webhook_url),
                )
            if kind == "menu":
                answer: dict[str, Any] = {"next_step_id": _menu_choice(result)}
            elif kind == "form":
                answer = _form_answer(result, name=name, token=token)
            else:
                raise HomeAssistantError(f"the Smartcar flow ended with {result}")
            result = await self.post(f"/api/config/config_entries/flow/{result['flow_id']}", answer)
        raise HomeAssistantError(f"the Smartcar flow did not finish in {MAX_FLOW_STEPS} steps")

    async def create_connect_entry(  # noqa: PLR0913 (the values a user enters)
        self,
        *,
        name: str,
        token: str,
        application_id: str,
        client_id: str,
        client_secret: str,
        add_dashboard_webhook: Callable[[str], object],
        external_url: str | None = None,
        scopes: Sequence[str] | None = None,
        vehicles: Collection[str] | None = None,
    ) -> ConnectEntry:
        """Add a Smartcar Connect entry through the config-flow REST API, step by step.

        Menu "connect", the permissions (``scopes``, else the form's defaults), the API v3
        credentials, then Smartcar Connect: its URL is followed as the owner's browser
        would (:meth:`browse`), and Smartcar's redirect to Home Assistant's callback view
        resumes the flow. Then the name and the Application Management Token; at the
        webhook step ``add_dashboard_webhook`` gets the callback URL shown (the user
        creates the Dashboard webhook with it) and the flow finds it by that URL; the
        ``vehicles`` (ids, else all listed) are subscribed; "finish" without waiting for
        Smartcar's VERIFY. Each step must be the documented one, without errors.
        """
        result = await self.post(
            "/api/config/config_entries/flow", {"handler": DOMAIN, "show_advanced_options": False}
        )
        flow = f"/api/config/config_entries/flow/{result['flow_id']}"
        _expect(result, "menu", "user")
        result = await self.post(flow, {"next_step_id": "connect"})
        _expect(result, "form", "connect")
        chosen = list(scopes) if scopes is not None else _default(result, "scopes")
        result = await self.post(flow, {"scopes": chosen})
        _expect(result, "form", "credentials")
        redirect_uri = _placeholder(result, "redirect_url")
        credentials = {
            "application_id": application_id,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        result = await self.post(flow, credentials)
        _expect(result, "external", "authorize")
        consent_url = str(result["url"])
        status, page = await self.browse(consent_url, external_url=external_url)
        if status != 200:  # noqa: PLR2004
            raise HomeAssistantError(f"Smartcar Connect ended on {status}: {page[:300]}")
        result = await self.get(flow)  # the frontend fetches the flow again once it moved on
        _expect(result, "form", "application")
        result = await self.post(flow, {"name": name, "management_token": token})
        _expect(result, "form", "smartcar_webhook")
        callback_url = _placeholder(result, "webhook_url")
        add_dashboard_webhook(callback_url)
        result = await self.post(flow, {})
        _expect(result, "form", "vehicles")
        labels = _options(result, "vehicles")
        wanted = list(labels) if vehicles is None else list(vehicles)
        result = await self.post(flow, {"vehicles": wanted})
        _expect(result, "menu", "subscribed")
        result = await self.post(flow, {"next_step_id": "finish"})
        _expect(result, "create_entry", None)
        entry = result["result"]
        return ConnectEntry(
            entry_id=entry["entry_id"],
            title=entry["title"],
            webhook_id=_webhook_id(callback_url),
            redirect_uri=redirect_uri,
            callback_url=callback_url,
            consent_url=consent_url,
            scopes=tuple(chosen),
            vehicles={vehicle_id: labels.get(vehicle_id, "") for vehicle_id in wanted},
        )

    async def browse(self, url: str, *, external_url: str | None = None) -> tuple[int, str]:
        """GET ``url`` as a browser does, following redirects; return the last status and page.

        No Home Assistant login goes along. The browser reaches Home Assistant at its
        ``external_url`` (a reverse proxy's HTTPS address in real life); this client reaches
        the same server at ``base_url``, so a redirect to ``external_url`` is followed there.
        """
        for _ in range(MAX_REDIRECTS):
            if external_url and url.startswith(external_url.rstrip("/") + "/"):
                url = self.base_url + url[len(external_url.rstrip("/")) :]
            async with self.session.get(url, allow_redirects=False) as response:
                text = await response.text()
                location = response.headers.get("Location")
                if response.status not in {301, 302, 303, 307, 308} or not location:
                    return response.status, text
                url = str(response.url.join(URL(location)))
        raise HomeAssistantError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _expect(result: dict[str, Any], kind: str, step_id: str | None) -> None:
    """Raise unless the flow is at the step of ``kind`` and ``step_id``, without errors."""
    if (
        result.get("type") != kind
        or (step_id is not None and result.get("step_id") != step_id)
        or result.get("errors")
    ):
        shown = {key: result.get(key) for key in ("type", "step_id", "errors", "reason")}
        raise HomeAssistantError(f"the Smartcar flow is not at {kind} {step_id!r}: {shown}")


def _placeholder(result: dict[str, Any], name: str) -> str:
    value = (result.get("description_placeholders") or {}).get(name)
    if not isinstance(value, str) or not value:
        raise HomeAssistantError(f"step {result.get('step_id')!r} shows no {name}")
    return value


def _schema_field(result: dict[str, Any], name: str) -> dict[str, Any]:
    for field in result.get("data_schema") or []:
        if field.get("name") == name:
            return dict(field)
    raise HomeAssistantError(f"step {result.get('step_id')!r} has no field {name!r}")


def _default(result: dict[str, Any], name: str) -> list[str]:
    return [str(value) for value in _schema_field(result, name).get("default") or []]


def _options(result: dict[str, Any], name: str) -> dict[str, str]:
    """A select field's options: value -> label."""
    select = (_schema_field(result, name).get("selector") or {}).get("select") or {}
    return {
        str(option["value"]): str(option.get("label", option["value"]))
        for option in select.get("options") or []
    }


def _menu_choice(result: dict[str, Any]) -> str:
    options = result.get("menu_options") or []
    names = list(options) if isinstance(options, dict | list) else []
    for choice in MENU_CHOICES:
        if choice in names:
            return choice
    for option in names:
        if "webhook" in option:
            return str(option)
    raise HomeAssistantError(f"no known choice in the menu {result.get('step_id')!r}: {names}")


def _form_answer(result: dict[str, Any], *, name: str, token: str) -> dict[str, Any]:
    if result.get("errors"):
        raise HomeAssistantError(
            f"the Smartcar flow refused step {result.get('step_id')!r}: {result['errors']}"
        )
    known = {"name": name, "management_token": token}
    answer: dict[str, Any] = {}
    for field in result.get("data_schema") or []:
        key = field["name"]
        if key in known:
            answer[key] = known[key]
        elif field.get("required") and "default" not in field:
            raise HomeAssistantError(
                f"the Smartcar flow asks for {key!r} in step {result.get('step_id')!r}"
            )
    return answer


def _webhook_id(url: str | None) -> str:
    path = urlsplit(url or "").path
    if WEBHOOK_PATH not in path:
        raise HomeAssistantError(f"the Smartcar flow showed no webhook URL ({url!r})")
    return path.rsplit("/", 1)[-1]
