"""A fake Smartcar API v3 on a loopback port: token, Connect, vehicles, webhooks, subscriptions.

It answers as ``../shared/smartcar/API-v3.md`` documents Smartcar's hosts, all under one
base URL (what the integration's ``SMARTCAR_API_BASE_URL`` points at):

* ``POST /iam/oauth2/token``: the ``client_credentials`` grant, the client id and secret in
  the body (form-encoded or JSON); ``{access_token, token_type: Bearer, expires_in}``, or
  ``401 {"error": "invalid_client"}``, ``400 {"error": "invalid_request"}``.
* ``GET /connect/oauth/authorize``: Smartcar Connect. The owner's consent is given at once
  (or refused, with ``deny_consent``): the user's vehicles are connected with the permissions
  asked for and the browser is sent to ``redirect_uri?user_id=…&state=…``. A wrong
  ``client_id`` (not the Application ID) or a missing or unregistered ``redirect_uri`` gets
  an error page, as Connect cannot trust the redirect then.
* ``/vehicle/v3``: ``GET /connections`` (filters, pages, ``meta`` and ``links``),
  ``GET /vehicles/{id}``, ``GET /vehicles/{id}/signals`` and ``/signals/{code}`` (the
  ``sc-user-id`` header required; the VIN needs ``read_vin``).
* ``POST /vehicle/v3/vehicles/{id}/commands/…`` (``simulator/commands.py``): lock, unlock,
  start and stop charging, set the charge limit; the permission checked against the
  connection, the effect shown by later signal reads; 200 (sync), or 202 (still pending)
  with ``pending_commands``; the charge port is not offered (501).
* ``/management/v3``: ``GET /webhooks`` and ``/webhooks/{id}`` (webhooks are made in the
  Dashboard: here :meth:`SmartcarApi.add_webhook`), ``POST /subscriptions`` (202, 409 when it
  exists), ``GET /subscriptions`` and ``/subscriptions/{id}``, ``DELETE /subscriptions/{id}``
  (204).

Every vehicle and management call needs ``Authorization: Bearer <a token it issued>``;
without one it answers 401 with a v3 error body (``type, code, title, detail, status,
resolution, suggestedUserMessage``). The user and the vehicles are the simulator's own
(:data:`simulator.payloads.USER_ID`, :func:`simulator.payloads.fleet`), so the deliveries
:func:`simulator.run` sends come from the vehicles subscribed here. Everything it is asked
is recorded (``token_grants``, ``consents``, ``calls``, ``subscriptions``) for tests to
check. Nothing is imported from the integration. In a test::

    async with SmartcarApi(vehicles=2, redirect_uris=[redirect]) as api:
        ...  # start Home Assistant with SMARTCAR_API_BASE_URL=api.url
        api.add_webhook(callback_url)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import re
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any, Final, Self

from aiohttp import web
from yarl import URL

from .commands import COMMANDS, execution
from .payloads import SIGNALS, USER_ID, Vehicle, initial_bodies, new_id, stable_id
from .payloads import fleet as simulated_fleet

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence

    type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOOPBACK: Final = "127.0.0.1"
# Invented credentials of the fake application, in the shapes the Dashboard shows them.
APPLICATION_ID: Final = "5b9c2d4e-1f3a-4c6b-8d7e-9a0b1c2d3e4f"
CLIENT_ID: Final = "client_5b9c2d4e1f3a4c6b8d7e"
CLIENT_SECRET: Final = "sc-sim-secret-9a0b1c2d-3e4f-4a5b-8c6d"  # noqa: S105 (invented)
TOKEN_LIFETIME: Final = 3600
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 100
# Every permission Connect knows (the same names as in API v2); a connection made without
# Connect (``connect``) has all of them.
PERMISSIONS: Final = (
    "read_alerts",
    "read_battery",
    "read_charge",
    "read_charge_events",
    "read_charge_locations",
    "read_charge_records",
    "read_climate",
    "read_compass",
    "read_diagnostics",
    "read_engine_oil",
    "read_extended_vehicle_info",
    "read_fuel",
    "read_location",
    "read_odometer",
    "read_security",
    "read_service_history",
    "read_speedometer",
    "read_thermometer",
    "read_tires",
    "read_user_profile",
    "read_vehicle_info",
    "read_vin",
    "control_charge",
    "control_climate",
    "control_navigation",
    "control_pin",
    "control_security",
    "control_trunk",
)
SCOPE_PATTERN: Final = re.compile(r"(?:required:)?((?:read|control)_[a-z_]+)")
VIN_SIGNAL: Final = ("vehicleidentification-vin", "Vin", "VehicleIdentification")
VIN_PREFIX: Final = "SMCSMV"  # 6 + 11 digits: 17 characters, none of I, O, Q
SIGNAL_AGE_SECONDS: Final = 600
_SIGNAL_META: Final = {code: (name, group) for code, name, group in (*SIGNALS, VIN_SIGNAL)}

type JSONObject = dict[str, Any]


def vin(vehicle: Vehicle) -> str:
    """The invented, stable VIN of a simulated vehicle."""
    return f"{VIN_PREFIX}{vehicle.index:011d}"


# --- What the fake holds and records --------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """One request to the token endpoint and its outcome."""

    content_type: str
    form: dict[str, str]
    basic_auth: bool
    status: int
    token: str | None
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass(frozen=True, slots=True)
class Consent:
    """One visit of Smartcar Connect: what it was asked, and where it sent the browser."""

    query: dict[str, str]
    status: int
    location: str | None
    user_id: str | None
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass(frozen=True, slots=True)
class Call:
    """One request to the vehicle or management API."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    bearer: str | None
    user_id: str | None
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass(frozen=True, slots=True)
class Webhook:
    """A Dashboard webhook of the application."""

    id: str
    name: str
    callback_uri: str
    is_enabled: bool = True
    auto_subscribe: bool = False

    def resource(self) -> JSONObject:
        """``GET /webhooks`` item."""
        return {
            "id": self.id,
            "type": "webhook",
            "attributes": {
                "name": self.name,
                "callbackUri": self.callback_uri,
                "isEnabled": self.is_enabled,
                "autoSubscribe": self.auto_subscribe,
            },
        }


@dataclass(frozen=True, slots=True)
class Connection:
    """A vehicle a user connected to the application, with the permissions granted."""

    id: str
    user_id: str
    vehicle: Vehicle
    permissions: tuple[str, ...]
    mode: str = "live"

    def resource(self) -> JSONObject:
        """``GET /connections`` item."""
        return {
            "id": self.id,
            "type": "connection",
            "attributes": {
                "permissions": list(self.permissions),
                "vehicle": {**_vehicle_attributes(self.vehicle), "mode": self.mode},
            },
            "relationships": {
                "vehicle": {"data": {"id": self.vehicle.id, "type": "vehicle"}},
                "user": {"data": {"id": self.user_id, "type": "user"}},
            },
        }


@dataclass(frozen=True, slots=True)
class Subscription:
    """A vehicle subscribed to a webhook."""

    id: str
    webhook_id: str
    user_id: str
    vehicle: Vehicle
    mode: str = "live"

    @property
    def vehicle_id(self) -> str:
        """The subscribed vehicle's id."""
        return self.vehicle.id

    def resource(self) -> JSONObject:
        """``GET /subscriptions`` item."""
        return {
            "id": self.id,
            "type": "subscription",
            "attributes": {"vehicle": {**_vehicle_attributes(self.vehicle), "mode": self.mode}},
            "relationships": {
                "webhook": {"data": {"id": self.webhook_id, "type": "webhook"}},
                "user": {"data": {"id": self.user_id, "type": "user"}},
                "vehicle": {"data": {"id": self.vehicle.id, "type": "vehicle"}},
            },
        }


@dataclass(slots=True)
class _Fault:
    method: str | None
    path: str
    status: int
    body: JSONObject
    headers: dict[str, str]
    times: int


def _vehicle_attributes(vehicle: Vehicle) -> JSONObject:
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "powertrainType": "BEV",
    }


class ApiError(Exception):
    """An error answer with v3's body."""

    def __init__(  # noqa: PLR0913
        self,
        status: int,
        error_type: str,
        code: str | None,
        title: str,
        *,
        resolution: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` with this type, code and title."""
        super().__init__(title)
        self.status = status
        self.body = error_body(status, error_type, code, title, resolution=resolution)
        self.headers = dict(headers or {})


def error_body(
    status: int, error_type: str, code: str | None, title: str, *, resolution: str | None = None
) -> JSONObject:
    """v3's error fields (API-v3.md section 2, "Error body")."""
    return {
        "type": error_type,
        "code": code,
        "title": title,
        "detail": [],
        "status": status,
        "resolution": {"type": resolution},
        "suggestedUserMessage": None,
        "meta": {"requestId": secrets.token_hex(8)},
    }


# --- The server ------------------------------------------------------------------------


@dataclass
class SmartcarApi:
    """The fake API for one application and one user with the simulator's vehicles.

    ``vehicles`` is a number of :func:`simulator.payloads.fleet` vehicles or the vehicles
    themselves: the owner's account at the car maker, connected when Connect is visited.
    ``redirect_uris`` are the Dashboard's registered redirect URIs (empty: any is taken).
    """

    application_id: str = APPLICATION_ID
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    user_id: str = USER_ID
    vehicles: int | Sequence[Vehicle] = 2
    redirect_uris: Collection[str] = ()
    token_lifetime: int = TOKEN_LIFETIME
    # Connect: the owner refuses (``error=access_denied``), or the redirect carries a
    # ``code`` as some live redirects do (API-v3.md: do not rely on it).
    deny_consent: bool = False
    include_code: bool = False
    # Commands answer 202 (accepted, still being carried out) instead of 200.
    pending_commands: bool = False
    host: str = LOOPBACK
    token_grants: list[TokenGrant] = field(default_factory=list, init=False)
    consents: list[Consent] = field(default_factory=list, init=False)
    calls: list[Call] = field(default_factory=list, init=False)
    webhooks: dict[str, Webhook] = field(default_factory=dict, init=False)
    connections: dict[tuple[str, str], Connection] = field(default_factory=dict, init=False)
    subscriptions: dict[str, Subscription] = field(default_factory=dict, init=False)
    deleted_subscriptions: list[Subscription] = field(default_factory=list, init=False)
    # The signal bodies commands changed, by vehicle id.
    commanded: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    _tokens: dict[str, float] = field(default_factory=dict, init=False)
    _faults: list[_Fault] = field(default_factory=list, init=False)
    fleet: list[Vehicle] = field(default_factory=list, init=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)
    _port: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        """Make the vehicles and the aiohttp application."""
        self.fleet = (
            simulated_fleet(self.vehicles)
            if isinstance(self.vehicles, int)
            else list(self.vehicles)
        )
        self.app = self._make_app()

    # --- Lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:<port>``) once started."""
        if self._port is None:
            raise RuntimeError("the fake Smartcar API is not started")
        return f"http://{self.host}:{self._port}"

    async def start(self) -> str:
        """Listen on a free port of the loopback address; return the base URL."""
        if self._runner is not None:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self._port = int(sock.getsockname()[1])
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start; stopped when the block ends."""
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Stop."""
        await self.stop()

    # --- What a test sets up (the Dashboard, the owner) --------------------------------

    def add_webhook(
        self,
        callback_uri: str,
        *,
        name: str = "Home Assistant",
        webhook_id: str | None = None,
        auto_subscribe: bool = False,
    ) -> Webhook:
        """Create a webhook in the Dashboard (the API cannot create one)."""
        webhook = Webhook(
            id=webhook_id or stable_id(f"webhook:{callback_uri}"),
            name=name,
            callback_uri=callback_uri,
            auto_subscribe=auto_subscribe,
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    def connect(
        self,
        user_id: str | None = None,
        vehicles: Iterable[Vehicle] | None = None,
        permissions: Iterable[str] = PERMISSIONS,
        mode: str = "live",
    ) -> list[Connection]:
        """Connect vehicles for a user, as Connect does when the owner consents."""
        user = user_id or self.user_id
        granted = tuple(dict.fromkeys(permissions))
        made = []
        for vehicle in self.fleet if vehicles is None else vehicles:
            key = (user, vehicle.id)
            known = self.connections.get(key)
            connection = Connection(
                id=known.id if known else stable_id(f"connection:{user}:{vehicle.id}"),
                user_id=user,
                vehicle=vehicle,
                permissions=granted,
                mode=mode,
            )
            self.connections[key] = connection
            made.append(connection)
        return made

    def fail(  # noqa: PLR0913
        self,
        path: str,
        status: int,
        error_type: str,
        code: str | None = None,
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (a prefix) with an error."""
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        body = error_body(status, error_type, code, f"{error_type} (injected)")
        self._faults.append(_Fault(method, path, status, body, headers, times))

    def expire_tokens(self) -> None:
        """Every token issued so far expires now."""
        self._tokens.clear()

    @property
    def issued_tokens(self) -> list[str]:
        """Every access token issued, in order."""
        return [grant.token for grant in self.token_grants if grant.token]

    async def wait_for(self, done: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``done()`` holds, checked after each API call; TimeoutError after it."""
        async with asyncio.timeout(timeout):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    def subscriptions_of(self, webhook_id: str) -> set[tuple[str, str]]:
        """``(user id, vehicle id)`` of every subscription to a webhook."""
        return {
            (s.user_id, s.vehicle_id)
            for s in self.subscriptions.values()
            if s.webhook_id == webhook_id
        }

    # --- The aiohttp application ---------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/iam/oauth2/token", self._token)
        app.router.add_get("/connect/oauth/authorize", self._authorize)
        vehicle = "/vehicle/v3"
        app.router.add_get(f"{vehicle}/connections", self._connections)
        app.router.add_get(f"{vehicle}/vehicles/{{vehicle_id}}", self._vehicle)
        app.router.add_get(f"{vehicle}/vehicles/{{vehicle_id}}/signals", self._signals)
        app.router.add_get(f"{vehicle}/vehicles/{{vehicle_id}}/signals/{{code}}", self._signal)
        app.router.add_post(
            f"{vehicle}/vehicles/{{vehicle_id}}/commands/{{group}}/{{action}}", self._command
        )
        management = "/management/v3"
        app.router.add_get(f"{management}/webhooks", self._webhooks)
        app.router.add_get(f"{management}/webhooks/{{webhook_id}}", self._webhook)
        app.router.add_post(f"{management}/subscriptions", self._subscribe)
        app.router.add_get(f"{management}/subscriptions", self._list_subscriptions)
        app.router.add_get(f"{management}/subscriptions/{{subscription_id}}", self._subscription)
        app.router.add_delete(f"{management}/subscriptions/{{subscription_id}}", self._unsubscribe)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Faults, the bearer check of the APIs, v3 error bodies, and the call records."""
        api = request.path.startswith(("/vehicle/", "/management/"))
        bearer = _bearer(request)
        try:
            if (fault := self._fault(request)) is not None:
                response: web.StreamResponse = web.json_response(
                    fault.body, status=fault.status, headers=fault.headers
                )
            else:
                if api:
                    self._check_bearer(bearer)
                response = await handler(request)
        except ApiError as err:
            response = web.json_response(err.body, status=err.status, headers=err.headers)
        except web.HTTPNotFound:
            if not api:
                raise
            response = web.json_response(
                error_body(404, "RESOURCE_NOT_FOUND", "PATH_NOT_FOUND", "No such resource"),
                status=404,
            )
        except web.HTTPMethodNotAllowed:
            if not api:
                raise
            response = web.json_response(
                error_body(405, "VALIDATION", "METHOD_NOT_ALLOWED", "Method not allowed"),
                status=405,
            )
        if api:
            response.headers["sc-request-id"] = secrets.token_hex(8)
            self.calls.append(
                Call(
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    status=response.status,
                    bearer=bearer,
                    user_id=request.headers.get("sc-user-id"),
                )
            )
            self._changed.set()
        return response

    def _fault(self, request: web.Request) -> _Fault | None:
        for fault in self._faults:
            if request.path.startswith(fault.path) and fault.method in {None, request.method}:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_bearer(self, token: str | None) -> None:
        """Refuse (401) a call without a token this fake issued and that is still valid."""
        if token is None or self._tokens.get(token, 0.0) <= time.monotonic():
            raise ApiError(
                401, "AUTHENTICATION", None, "The access token is missing, invalid or expired"
            )

    # --- iam: the application's token -----------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        content_type = request.content_type
        form: dict[str, str] = {}
        if content_type == "application/json":
            try:
                document = await request.json()
            except ValueError:
                document = None
            if isinstance(document, dict):
                form = {str(key): str(value) for key, value in document.items()}
        else:
            form = {key: str(value) for key, value in (await request.post()).items()}
        basic = request.headers.get("Authorization", "").lower().startswith("basic ")
        status, answer = self._grant(form)
        token = answer.get("access_token")
        self.token_grants.append(TokenGrant(content_type, form, basic, status, token))
        return web.json_response(answer, status=status, headers={"Cache-Control": "no-store"})

    def _grant(self, form: Mapping[str, str]) -> tuple[int, JSONObject]:
        if form.get("grant_type") != "client_credentials" or not {
            "client_id",
            "client_secret",
        } <= set(form):
            return 400, {"error": "invalid_request"}
        if not (
            secrets.compare_digest(form["client_id"], self.client_id)
            and secrets.compare_digest(form["client_secret"], self.client_secret)
        ):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.monotonic() + self.token_lifetime
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
        }

    # --- Connect -------------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        redirect = query.get("redirect_uri", "")
        problem = None
        if query.get("client_id") != self.application_id:
            problem = "invalid client_id: use the Application ID"
        elif not redirect:
            problem = "missing redirect_uri"
        elif self.redirect_uris and redirect not in self.redirect_uris:
            problem = "redirect_uri is not registered for this application"
        if problem is not None:
            self.consents.append(Consent(query, 400, None, None))
            return web.Response(
                status=400, text=f"<p>Smartcar Connect: {problem}</p>", content_type="text/html"
            )
        scopes = query.get("scope", "").split()
        matches = [SCOPE_PATTERN.fullmatch(scope) for scope in scopes]
        params: dict[str, str]
        user_id = None
        if query.get("response_type") != "code":
            params = {"error": "invalid_request", "error_description": "response_type=code"}
        elif not all(matches):
            params = {"error": "invalid_scope", "error_description": "unknown permission"}
        elif self.deny_consent:
            params = {"error": "access_denied", "error_description": "User denied access"}
        else:
            user_id = self.user_id
            mode = "simulated" if query.get("mode") == "simulated" else "live"
            permissions = [m.group(1) for m in matches if m is not None] or ["read_vehicle_info"]
            self.connect(user_id, permissions=permissions, mode=mode)
            params = {"user_id": user_id}
            if self.include_code:
                params["code"] = secrets.token_urlsafe(16)
        if "state" in query:
            params["state"] = query["state"]
        location = str(URL(redirect).update_query(params))
        self.consents.append(Consent(query, 302, location, user_id))
        raise web.HTTPFound(location)

    # --- Vehicles ------------------------------------------------------------------------

    async def _connections(self, request: web.Request) -> web.Response:
        query = request.query
        mode = query.get("filter[vehicle.mode]", "live")
        items = [
            connection.resource()
            for connection in self.connections.values()
            if _matches(query.get("filter[userId]"), connection.user_id)
            and _matches(query.get("filter[vehicleId]"), connection.vehicle.id)
            and connection.mode == mode
            and "filter[user.externalId]" not in query  # no user has an external id here
        ]
        return web.json_response(_page(request, items))

    async def _vehicle(self, request: web.Request) -> web.Response:
        vehicle_id = request.match_info["vehicle_id"]
        connection = next(
            (c for c in self.connections.values() if c.vehicle.id == vehicle_id), None
        )
        if connection is None:
            raise _vehicle_not_found()
        return web.json_response(
            {
                "data": {
                    "id": vehicle_id,
                    "type": "vehicle",
                    "attributes": {
                        **_vehicle_attributes(connection.vehicle),
                        "mode": connection.mode,
                    },
                    "links": {"self": str(request.url.with_query(None))},
                }
            }
        )

    def _user_connection(self, request: web.Request) -> Connection:
        """The connection the ``sc-user-id`` header and the vehicle id name."""
        user_id = request.headers.get("sc-user-id")
        if not user_id:
            raise ApiError(400, "VALIDATION", "MISSING_PARAMETER", "missing userId")
        connection = self.connections.get((user_id, request.match_info["vehicle_id"]))
        if connection is None:
            raise _vehicle_not_found()
        return connection

    async def _signals(self, request: web.Request) -> web.Response:
        connection = self._user_connection(request)
        items = [
            _signal_resource(request, connection.vehicle.id, code, body)
            for code, body in self._bodies(connection).items()
        ]
        body = _page(request, items, meta_names=("page", "pageSize", "totalCount"))
        body["included"] = _included(connection)
        return web.json_response(body)

    async def _signal(self, request: web.Request) -> web.Response:
        connection = self._user_connection(request)
        code = request.match_info["code"]
        bodies = self._bodies(connection)
        if code == VIN_SIGNAL[0] and code not in bodies:
            raise ApiError(
                403,
                "PERMISSION",
                None,
                "The user did not grant read_vin",
                resolution="REAUTHENTICATE",
            )
        if code not in bodies:
            raise ApiError(404, "RESOURCE_NOT_FOUND", "SIGNAL_NOT_FOUND", f"No signal {code}")
        return web.json_response(
            {
                "data": _signal_resource(request, connection.vehicle.id, code, bodies[code]),
                "included": _included(connection),
            }
        )

    async def _command(self, request: web.Request) -> web.Response:
        connection = self._user_connection(request)
        path = f"{request.match_info['group']}/{request.match_info['action']}"
        if (command := COMMANDS.get(path)) is None:
            raise ApiError(501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE", f"The car cannot {path}")
        if command.permission not in connection.permissions:
            raise ApiError(
                403,
                "PERMISSION",
                None,
                f"The user did not grant {command.permission}",
                resolution="REAUTHENTICATE",
            )
        try:
            payload = await request.json() if request.body_exists else None
            effect = command.effect(payload)
        except ValueError as err:
            raise ApiError(400, "VALIDATION", "PARAMETER", str(err)) from err
        self.commanded.setdefault(connection.vehicle.id, {}).update(effect)
        return web.json_response(
            execution(path, payload, pending=self.pending_commands),
            status=202 if self.pending_commands else 200,
        )

    def _bodies(self, connection: Connection) -> dict[str, Any]:
        """The vehicle's signal bodies (parked, as commands left it), the VIN where granted."""
        bodies: dict[str, Any] = {}
        if "read_vin" in connection.permissions:
            bodies[VIN_SIGNAL[0]] = {"value": vin(connection.vehicle)}
        return (
            bodies
            | initial_bodies(connection.vehicle)
            | self.commanded.get(connection.vehicle.id, {})
        )

    # --- Management ----------------------------------------------------------------------

    async def _webhooks(self, request: web.Request) -> web.Response:
        query = request.query
        items = [
            webhook.resource()
            for webhook in self.webhooks.values()
            if _matches(query.get("filter[name]"), webhook.name)
            and _matches(query.get("filter[callbackUri]"), webhook.callback_uri)
            and _matches(query.get("filter[isEnabled]"), _flag(webhook.is_enabled))
            and _matches(query.get("filter[autoSubscribe]"), _flag(webhook.auto_subscribe))
        ]
        return web.json_response(_page(request, items))

    async def _webhook(self, request: web.Request) -> web.Response:
        webhook = self.webhooks.get(request.match_info["webhook_id"])
        if webhook is None:
            raise _webhook_not_found()
        return web.json_response({"data": webhook.resource()})

    async def _subscribe(self, request: web.Request) -> web.Response:
        try:
            document = await request.json()
        except ValueError:
            document = None
        data = document.get("data") if isinstance(document, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        values = attributes if isinstance(attributes, dict) else {}
        fields = {key: values.get(key) for key in ("webhookId", "userId", "vehicleId")}
        missing = [key for key, value in fields.items() if not isinstance(value, str) or not value]
        if missing:
            raise ApiError(400, "VALIDATION", "MISSING_PARAMETER", f"missing {', '.join(missing)}")
        webhook_id, user_id, vehicle_id = (str(value) for value in fields.values())
        if webhook_id not in self.webhooks:
            raise _webhook_not_found()
        connection = self.connections.get((user_id, vehicle_id))
        if connection is None:
            raise _vehicle_not_found()
        if any(
            (s.webhook_id, s.user_id, s.vehicle_id) == (webhook_id, user_id, vehicle_id)
            for s in self.subscriptions.values()
        ):
            raise ApiError(409, "CONFLICT", "SUBSCRIPTION_EXISTS", "Already subscribed")
        subscription = Subscription(
            id=new_id(),
            webhook_id=webhook_id,
            user_id=user_id,
            vehicle=connection.vehicle,
            mode=connection.mode,
        )
        self.subscriptions[subscription.id] = subscription
        return web.json_response(
            {"meta": {"message": "subscription creation in progress"}}, status=202
        )

    async def _list_subscriptions(self, request: web.Request) -> web.Response:
        query = request.query
        items = [
            subscription.resource()
            for subscription in self.subscriptions.values()
            if _matches(query.get("filter[userId]"), subscription.user_id)
            and _matches(query.get("filter[webhookId]"), subscription.webhook_id)
            and _matches(query.get("filter[vehicleId]"), subscription.vehicle_id)
            and _matches(query.get("filter[vehicle.mode]"), subscription.mode)
        ]
        return web.json_response(_page(request, items))

    async def _subscription(self, request: web.Request) -> web.Response:
        subscription = self.subscriptions.get(request.match_info["subscription_id"])
        if subscription is None:
            raise _subscription_not_found()
        return web.json_response({"data": subscription.resource()})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        subscription = self.subscriptions.pop(request.match_info["subscription_id"], None)
        if subscription is None:
            raise _subscription_not_found()
        self.deleted_subscriptions.append(subscription)
        return web.Response(status=204)


# --- Helpers ---------------------------------------------------------------------------


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _matches(wanted: str | None, value: str) -> bool:
    return wanted is None or wanted == value


def _flag(value: bool) -> str:  # noqa: FBT001
    return "true" if value else "false"


def _number(request: web.Request, name: str, default: int, highest: int | None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1 or (highest is not None and number > highest):
        limit = f"1 to {highest}" if highest is not None else "at least 1"
        raise ApiError(400, "VALIDATION", "INVALID_PARAMETER", f"{name} must be {limit}")
    return number


def _page(
    request: web.Request,
    items: Sequence[JSONObject],
    *,
    meta_names: tuple[str, str, str] = ("pageNumber", "pageSize", "totalCount"),
) -> JSONObject:
    """One page of a list: ``data``, ``meta`` and ``links`` (``next`` None on the last)."""
    number = _number(request, "page[number]", 1, None)
    size = _number(request, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    total = len(items)
    last = max(1, -(-total // size))

    def link(page_number: int) -> str:
        return str(request.url.update_query({"page[number]": str(page_number)}))

    page_name, size_name, total_name = meta_names
    meta: JSONObject = {page_name: number, size_name: size, total_name: total}
    if page_name == "pageNumber":
        meta |= {"orderBy": "createdAt", "orderDirection": "asc"}
    return {
        "data": list(items[(number - 1) * size : number * size]),
        "meta": meta,
        "links": {
            "self": link(number),
            "first": link(1),
            "last": link(last),
            "next": link(number + 1) if number < last else None,
            "prev": link(number - 1) if 1 < number <= last else None,
        },
    }


def _signal_resource(request: web.Request, vehicle_id: str, code: str, body: Any) -> JSONObject:
    name, group = _SIGNAL_META[code]
    now = int(time.time())
    vehicle = f"{request.url.origin()}/vehicle/v3/vehicles/{vehicle_id}"
    return {
        "id": code,
        "type": "signal",
        "attributes": {
            "code": code,
            "name": name,
            "group": group,
            "status": {"value": "SUCCESS"},
            "body": json.loads(json.dumps(body)),
        },
        "meta": {"retrievedAt": now, "oemUpdatedAt": now - SIGNAL_AGE_SECONDS},
        "links": {
            "self": f"{vehicle}/signals/{code}",
            "values": f"{vehicle}/signals/{code}/values",
            "vehicle": vehicle,
        },
    }


def _included(connection: Connection) -> JSONObject:
    return {
        "vehicle": {
            "id": connection.vehicle.id,
            "type": "vehicle",
            "attributes": {**_vehicle_attributes(connection.vehicle), "mode": connection.mode},
        }
    }


def _vehicle_not_found() -> ApiError:
    return ApiError(404, "RESOURCE_NOT_FOUND", "VEHICLE_NOT_FOUND", "No such vehicle")


def _webhook_not_found() -> ApiError:
    return ApiError(404, "RESOURCE_NOT_FOUND", "WEBHOOK_NOT_FOUND", "No such webhook")


def _subscription_not_found() -> ApiError:
    return ApiError(404, "RESOURCE_NOT_FOUND", "SUBSCRIPTION_NOT_FOUND", "No such subscription")


async def serve(api: SmartcarApi) -> None:
    """Run the fake until cancelled (for a manual session: ``python -m simulator.api``)."""
    async with api:
        print(f"SMARTCAR_API_BASE_URL={api.url}", flush=True)  # noqa: T201
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(SmartcarApi()))
