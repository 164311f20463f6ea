"""Shared fixtures: a configured entry, signed deliveries and the fixture payloads."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from enum import Enum
import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, MagicMock, PropertyMock, patch

from aiohttp import ClientResponse
import pytest
from pytest_homeassistant_custom_component import plugins as ha_plugins
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from homeassistant.const import CONF_WEBHOOK_ID, MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

# Imported before Home Assistant puts its test config dir on sys.path, so that the harness
# loads this checkout's integration.
import custom_components  # noqa: F401
from custom_components.smartcar import PLATFORMS
from custom_components.smartcar.const import CONF_MANAGEMENT_TOKEN, DOMAIN
from custom_components.smartcar.signatures import smartcar_hmac
from custom_components.smartcar.unique_ids import webhook_unique_id

from .deprecations import reports_deprecation
from .payloads import ALL_SIGNALS

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory

    from homeassistant.core import HomeAssistant

FIXTURES = Path(__file__).parent / "fixtures"
# The oldest Home Assistant the integration supports (hacs.json) and the test stack that
# pins it; every newer Home Assistant is tested as the "newest" stack.
MINIMUM_HOMEASSISTANT = json.loads((Path(__file__).parents[1] / "hacs.json").read_text())[
    "homeassistant"
]
STACK = (
    "minimum" if MINIMUM_HOMEASSISTANT.startswith(f"{MAJOR_VERSION}.{MINOR_VERSION}.") else "newest"
)
TOKEN = "4f6b2a90-3c1d-4e8f-9a7b-5c2d1e0f3a6b"
WEBHOOK_ID = "5a1c0e9b7d3f4a2e8c6b0d1f3e5a7c9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c"
WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"
EV_ID = "9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"
ICE_ID = "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"

type Post = Callable[..., Awaitable[ClientResponse]]


def fixture_bytes(name: str) -> bytes:
    """A fixture file's exact bytes (signatures are computed over them)."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """A fixture file, parsed."""
    return json.loads(fixture_bytes(name))


def sign(body: bytes, token: str = TOKEN) -> str:
    """The SC-Signature Smartcar would send for ``body``."""
    return smartcar_hmac(token, body)


def vehicle_device(hass: HomeAssistant, vehicle_id: str) -> dr.DeviceEntry | None:
    """The device of a vehicle, looked up in each Smartcar entry's own devices.

    Device identifiers are unique per config entry from Home Assistant 2026.8, which
    deprecates the lookup by identifier alone; this lookup works on every version.
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, vehicle_id) in device.identifiers:
                return device
    return None


async def remove_device(
    hass: HomeAssistant, hass_ws_client: Any, entry_id: str, device_id: str
) -> None:
    """Remove a vehicle's device as the device page's Delete does (over the websocket)."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    assert (await client.receive_json())["success"]
    await hass.async_block_till_done()


def basic_auth(user: str, password: str) -> str:
    """The HTTP Basic ``Authorization`` header Smartcar's token endpoint expects (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class CloudNotAvailable(Exception):  # noqa: N818 (Home Assistant's name)
    """Stand-in for Home Assistant Cloud's exception of the same name."""


class CloudNotConnected(CloudNotAvailable):
    """Stand-in for Home Assistant Cloud's exception of the same name."""


class CloudConnectionState(Enum):
    """Stand-in for Home Assistant Cloud's enum of the same name."""

    CLOUD_CONNECTED = "cloud_connected"
    CLOUD_DISCONNECTED = "cloud_disconnected"


def mock_cloud_module(*, subscribed: bool) -> ModuleType:
    """Home Assistant Cloud's public API, mocked: not connected, and never reporting a change.

    The real component imports most of Home Assistant's voice stack, which the test
    environment does not install; the integration uses only these functions.
    """
    cloud = ModuleType("homeassistant.components.cloud")
    cloud.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
    cloud.CloudNotConnected = CloudNotConnected  # type: ignore[attr-defined]
    cloud.CloudConnectionState = CloudConnectionState  # type: ignore[attr-defined]
    cloud.async_active_subscription = MagicMock(return_value=subscribed)  # type: ignore[attr-defined]
    cloud.async_is_connected = MagicMock(return_value=False)  # type: ignore[attr-defined]
    cloud.async_listen_connection_change = MagicMock(return_value=lambda: None)  # type: ignore[attr-defined]
    cloud.async_create_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    cloud.async_get_or_create_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    cloud.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    return cloud


# pytest-aiohttp and syrupy define fixtures of the same names as the Home Assistant plugin;
# which of two plugins wins depends on the order they were installed in. A conftest fixture
# outranks every plugin, so these make the Home Assistant versions win on every install:
# its aiohttp client lets the HTTP views of components set up after the server started
# register (diagnostics, repairs), its snapshot extension serialises registry entries.
aiohttp_client = ha_plugins.aiohttp_client


class StackSnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshots, kept per test stack in ``snapshots-<stack>/``.

    Home Assistant's own parts of a snapshot change between versions (registry fields such
    as ``aliases``, attribute keys that became enums, attributes a platform added), so each
    stack compares with snapshots it recorded itself; any difference in what the
    integration writes shows on both. ``scripts/test --snapshot-update`` updates both.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """``snapshots-minimum`` or ``snapshots-newest`` next to the test file."""
        return str(Path(test_location.filepath).parent / f"snapshots-{STACK}")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy's snapshot with Home Assistant's extension, whichever plugin provided it."""
    return snapshot.use_extension(StackSnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture(autouse=True)
def no_deprecated_usage(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail on Home Assistant's report of a deprecated API used by this integration.

    Home Assistant logs these ("Detected that custom integration 'smartcar' ...") instead of
    raising DeprecationWarning, so pytest's warning filter alone would not catch them.
    """
    yield
    reports = [
        record.getMessage() for record in caplog.records if reports_deprecation(record.getMessage())
    ]
    assert not reports


@pytest.fixture
def no_setup() -> Iterator[None]:
    """Flow tests stop at the entry; setting it up is tested elsewhere."""
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        yield


@pytest.fixture
def fast_retries() -> Iterator[None]:
    """Retries without waiting (the client's backoff is tested in api/test_transport.py)."""
    with patch("custom_components.smartcar.api_transport.BACKOFF_SECONDS", 0):
        yield


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """A Smartcar entry as the config flow creates it (without Cloud)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Smartcar",
        data={CONF_MANAGEMENT_TOKEN: TOKEN, CONF_WEBHOOK_ID: WEBHOOK_ID},
        unique_id=webhook_unique_id(WEBHOOK_ID),
        entry_id="01JSMARTCAR0000000000000000",
        minor_version=2,
    )


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms to set up (override with parametrize to snapshot one platform)."""
    return PLATFORMS


@pytest.fixture
async def integration(
    hass: HomeAssistant, config_entry: MockConfigEntry, platforms: list[Platform]
) -> AsyncIterator[MockConfigEntry]:
    """Set up the entry with the chosen platforms."""
    assert await async_setup_component(hass, "homeassistant", {})
    with patch("custom_components.smartcar.PLATFORMS", platforms):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        yield config_entry


@pytest.fixture
async def post(
    hass: HomeAssistant, integration: MockConfigEntry, hass_client_no_auth: Any
) -> AsyncIterator[Post]:
    """POST raw bytes to the webhook, signed unless told otherwise."""
    client = await hass_client_no_auth()

    async def _post(
        body: bytes | dict[str, Any],
        *,
        signature: str | bool | None = True,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if signature is True:
            all_headers["SC-Signature"] = sign(raw)
        elif isinstance(signature, str):
            all_headers["SC-Signature"] = signature
        response = await client.post(WEBHOOK_PATH, data=raw, headers=all_headers)
        await hass.async_block_till_done()
        return response

    return _post


def make_state(
    signals: dict[str, dict[str, Any] | None],
    *,
    vehicle_id: str = EV_ID,
    event_id: str = "evt-1",
    oem_updated_at: int = 1_766_995_980_000,
    make: str = "KIA",
    model: str = "EV6",
    mode: str = "LIVE",
) -> dict[str, Any]:
    """A VEHICLE_STATE in the observed wire shape; a ``None`` body is a PERMISSION error."""

    def signal(code: str, body: dict[str, Any] | None) -> dict[str, Any]:
        group, name = code.split("-", 1)
        item: dict[str, Any] = {"code": code, "name": name, "group": group}
        if body is None:
            item["status"] = {"value": "ERROR", "error": {"type": "PERMISSION", "code": None}}
        else:
            item["body"] = body
            item["meta"] = {"oemUpdatedAt": oem_updated_at, "retrievedAt": oem_updated_at + 1000}
        return item

    return {
        "eventId": event_id,
        "eventType": "VEHICLE_STATE",
        "data": {
            "user": {"id": "user-1"},
            "vehicle": {"id": vehicle_id, "make": make, "model": model, "year": 2023},
            "signals": [signal(code, body) for code, body in signals.items()],
        },
        "triggers": [{"type": "SIGNAL_UPDATED", "signal": {"code": next(iter(signals))}}],
        "meta": {
            "version": "4.0",
            "deliveryId": f"delivery-{event_id}",
            "deliveredAt": oem_updated_at + 2000,
            "webhookId": "webhook-1",
            "webhookName": "Home Assistant",
            "mode": mode,
            "signalCount": len(signals),
        },
    }


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


# The fixtures' deliveries were recorded shortly before this moment.
NOW = "2025-12-29T08:20:00+00:00"


@pytest.fixture
def frozen_now(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """A fixed "now", shortly after the fixtures' deliveries (use it with usefixtures)."""
    freezer.move_to(NOW)
    return freezer


@pytest.fixture
async def public_url(hass: HomeAssistant) -> None:
    """Smartcar can reach this instance: an HTTPS external URL (use it with usefixtures)."""
    await hass.config.async_update(external_url="https://car.example.org")


def all_signals(event_id: str = "all", **kwargs: Any) -> dict[str, Any]:
    """A delivery of every catalog signal, from the car nicknamed "Blue Thunder"."""
    return make_state(ALL_SIGNALS, event_id=event_id, make="KIA", **kwargs)


# One delivery per fixture vehicle, and one of every signal: what the platform snapshots show.
SNAPSHOT_PAYLOADS: dict[str, bytes | dict[str, Any]] = {
    "ev_update": fixture_bytes("vehicle_state_ev_signal_update.json"),
    "ev_first_delivery": fixture_bytes("vehicle_state_first_delivery.json"),
    "ice": fixture_bytes("vehicle_state_ice.json"),
    "all_signals": all_signals(),
}


@pytest.fixture
def cloud_logged_in(hass: HomeAssistant) -> Iterator[Any]:
    """Home Assistant Cloud loaded, logged in with a subscription (its API mocked).

    Every cloudhook it makes has the same URL; ``async_delete_cloudhook`` records deletions.
    """
    hass.config.components.add("cloud")
    cloud = mock_cloud_module(subscribed=True)
    cloud.async_create_cloudhook.return_value = "https://hooks.nabu.casa/abc"
    with patch.dict("sys.modules", {"homeassistant.components.cloud": cloud}):
        yield cloud


# --- Controls (issue 15): a Smartcar Connect entry on API v3 that may act on its car ----


@pytest.fixture
def control_scopes() -> list[str]:
    """The permissions the control entry asked for: every one (parametrize for fewer)."""
    from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES

    return [*DEFAULT_SCOPES, *CONTROL_SCOPES]


@pytest.fixture
def car(aioclient_mock: Any) -> Any:
    """The entry's car at the fake Smartcar: locked, not charging, its limit at 80 %."""
    from .smartcar_api import mock_api  # it imports this module
    from .smartcar_car import FakeCar

    mock_api(aioclient_mock)
    return FakeCar(aioclient_mock)


@pytest.fixture
def control_entry(control_scopes: list[str]) -> MockConfigEntry:
    """A Smartcar Connect entry (API v3) as the flow stores it, with ``control_scopes``."""
    from custom_components.smartcar.const import CONF_SCOPES

    from .smartcar_api import connect_entry_data, connect_unique_id_of_tests

    return MockConfigEntry(
        domain=DOMAIN,
        title="Smartcar",
        data={**connect_entry_data(), CONF_SCOPES: control_scopes},
        unique_id=connect_unique_id_of_tests(),
        entry_id="01JSMARTCARCONNECT00000000",
        version=3,
        minor_version=2,
    )


@pytest.fixture
async def controls(
    hass: HomeAssistant, car: Any, control_entry: MockConfigEntry
) -> MockConfigEntry:
    """The control entry, set up (nothing delivered yet)."""
    assert await async_setup_component(hass, "homeassistant", {})
    control_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(control_entry.entry_id)
    await hass.async_block_till_done()
    return control_entry


@pytest.fixture
async def deliver(
    hass: HomeAssistant, controls: MockConfigEntry, hass_client_no_auth: Any
) -> Callable[..., Awaitable[None]]:
    """POST a signed delivery to the control entry's webhook; it must be accepted.

    ``settle=False`` does not wait for Home Assistant's other tasks (a command held open):
    the delivery is applied, and its states written, before the webhook answers.
    """
    client = await hass_client_no_auth()

    async def _deliver(document: dict[str, Any], *, settle: bool = True) -> None:
        body = json.dumps(document).encode()
        response = await client.post(
            WEBHOOK_PATH,
            data=body,
            headers={"Content-Type": "application/json", "SC-Signature": sign(body)},
        )
        assert response.status == 200
        if settle:
            await hass.async_block_till_done()

    return _deliver
