"""Diagnostics: the entry and device downloads, their signal inventory and their redaction."""

from __future__ import annotations

import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import CONF_CLOUDHOOK_URL, DOMAIN

from .conftest import (
    EV_ID,
    ICE_ID,
    TOKEN,
    WEBHOOK_ID,
    Post,
    fixture_bytes,
    fixture_json,
    make_state,
    vehicle_device,
)

NOW = "2025-12-29T08:20:00+00:00"
VIN = "KNDC3DLC5N5000000"
NICKNAME = "Blue Thunder"
CLOUDHOOK = "https://hooks.nabu.casa/gAAAAABexampleCloudhookSecret"
EXTERNAL_URL = "https://car.example.com"
USER_IDS = (
    fixture_json("vehicle_state_ev_signal_update.json")["data"]["user"]["id"],
    fixture_json("vehicle_state_ice.json")["data"]["user"]["id"],
    "user-1",  # make_state's
)
COORDINATES = ("52.370216", "4.895168")
SOC = "tractionbattery-stateofcharge"


@pytest.fixture(autouse=True)
def frozen_now(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """A fixed "now", shortly after the fixtures' deliveries."""
    freezer.move_to(NOW)
    return freezer


async def _deliver_everything(post: Post) -> None:
    """A VERIFY, both fixture cars, the EV's identity, a forged delivery, a vehicle error."""
    assert (await post(fixture_bytes("verify.json"), signature=False)).status == 200
    assert (await post(fixture_bytes("vehicle_state_ev_signal_update.json"))).status == 200
    identity = make_state(
        {
            "vehicleidentification-vin": {"value": VIN},
            "vehicleidentification-nickname": {"value": NICKNAME},
            # A unit no table knows: the sensor withholds the value and notes why.
            "climate-internaltemperature": {"value": 21, "unit": "réaumur"},
        },
        event_id="identity",
    )
    assert (await post(identity)).status == 200
    assert (await post(fixture_bytes("vehicle_state_ice.json"))).status == 200
    forged = fixture_bytes("vehicle_state_ev_signal_update.json")
    assert (await post(forged, signature="bad")).status == 401
    assert (await post(fixture_bytes("vehicle_error.json"))).status == 200


async def _download(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    device: dr.DeviceEntry | None = None,
) -> str:
    """The whole file a user downloads (Home Assistant adds system info and repairs)."""
    assert await async_setup_component(hass, "diagnostics", {})
    url = f"/api/diagnostics/config_entry/{entry.entry_id}"
    if device is not None:
        url += f"/device/{device.id}"
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    return await response.text()


def _assert_no_secrets(text: str) -> None:
    for secret in (TOKEN, WEBHOOK_ID, VIN, NICKNAME, CLOUDHOOK, *USER_IDS, *COORDINATES):
        assert secret not in text


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The entry's download after a typical day: setup, requests, both vehicles."""
    await _deliver_everything(post)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert diagnostics == snapshot
    _assert_no_secrets(json.dumps(diagnostics))

    entry = diagnostics["entry"]
    assert entry["data"] == {"management_token": REDACTED, "webhook_id": REDACTED}
    assert entry["callback_url"] == {"kind": None, "url": None, "cloud_available": False}
    assert entry["last_verified_at"] == NOW
    assert entry["signature_failures_in_a_row"] == 0  # the vehicle error was signed again

    assert [(d["event_type"], d["status"], d["result"]) for d in diagnostics["deliveries"]] == [
        ("VERIFY", 200, "verified"),
        ("VEHICLE_STATE", 200, "applied"),
        ("VEHICLE_STATE", 200, "applied"),
        ("VEHICLE_STATE", 200, "applied"),
        ("VEHICLE_STATE", 401, "signature mismatch"),
        ("VEHICLE_ERROR", 200, "applied"),
    ]

    ev = diagnostics["vehicles"][EV_ID]
    signals = ev["signals"]
    assert signals["climate-externaltemperature"]["status"] == "error"
    assert signals["climate-externaltemperature"]["type"] == "COMPATIBILITY"
    assert signals[SOC] == {
        "status": "error",
        "source": "vehicle_error",
        "type": "CONNECTED_SERVICES_ACCOUNT",
        "code": "AUTHENTICATION_FAILED",
        "age_seconds": 420,
    }
    assert signals["hvac-iscabinhvacactive"]["source"] == "signal"
    assert signals["internalcombustionengine-fuellevel"] == {"status": "never seen"}
    assert signals["charge-wattage"] == {
        "status": "delivered",
        "age_seconds": 420,
        "body": {"value": 10850, "unit": "watts"},
    }
    # Delivered signals outside every catalog are listed too, with private values redacted.
    assert signals["vehicleidentification-vin"]["body"] == {"value": REDACTED}
    assert signals["vehicleidentification-nickname"]["body"] == {"value": REDACTED}
    assert ev["unit_notes"] == {"cabin_temperature": "unknown unit 'réaumur'"}
    assert [(e["code"], e["signals"]) for e in ev["errors"]] == [
        ("AUTHENTICATION_FAILED", [SOC, "location-preciselocation"]),
        ("VEHICLE_NOT_CAPABLE", ["climate-externaltemperature"]),
    ]
    assert ev["reporting"] is True
    ice = diagnostics["vehicles"][ICE_ID]
    assert ice["signals"]["internalcombustionengine-fuellevel"]["status"] == "delivered"
    assert ice["errors"] == []


async def test_tracker_coordinates_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """A delivered location shows its heading and type, never where the car is."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    location = diagnostics["vehicles"][EV_ID]["signals"]["location-preciselocation"]
    assert location["status"] == "delivered"
    assert location["body"]["latitude"] == REDACTED
    assert location["body"]["longitude"] == REDACTED
    assert location["body"]["heading"] == 184
    text = await _download(hass, hass_client, integration)
    _assert_no_secrets(text)


async def test_delivered_then_blocked(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """A signal that arrived is "delivered" until a vehicle error names it."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    before = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert before["vehicles"][EV_ID]["signals"][SOC]["status"] == "delivered"
    assert before["vehicles"][EV_ID]["signals"][SOC]["body"] == {"value": 63, "unit": "percent"}

    await post(fixture_bytes("vehicle_error.json"))
    after = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert after["vehicles"][EV_ID]["signals"][SOC]["status"] == "error"
    assert after["vehicles"][EV_ID]["signals"][SOC]["code"] == "AUTHENTICATION_FAILED"


async def test_download_leaks_no_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """Token, webhook id, cloudhook, VIN, nickname, user ids and coordinates appear nowhere.

    Checked on the whole file Home Assistant serves, repairs and system info included.
    """
    hass.config_entries.async_update_entry(
        integration, data={**integration.data, CONF_CLOUDHOOK_URL: CLOUDHOOK}
    )
    await _deliver_everything(post)
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    _assert_no_secrets(await _download(hass, hass_client, integration))
    _assert_no_secrets(await _download(hass, hass_client, integration, device))


async def test_device_diagnostics_show_one_vehicle(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """A vehicle's download holds that vehicle only, with the entry's setup and requests."""
    await _deliver_everything(post)
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, integration, device)
    assert list(diagnostics["vehicles"]) == [EV_ID]
    assert ICE_ID not in json.dumps(diagnostics)
    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert diagnostics["vehicles"][EV_ID] == entry_diagnostics["vehicles"][EV_ID]
    assert diagnostics["entry"] == entry_diagnostics["entry"]
    assert diagnostics["deliveries"] == entry_diagnostics["deliveries"]


async def test_device_of_a_forgotten_vehicle(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    integration: MockConfigEntry,
) -> None:
    """A device whose vehicle the fleet no longer holds has no vehicle section."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=integration.entry_id, identifiers={(DOMAIN, "gone")}
    )
    diagnostics = await get_diagnostics_for_device(hass, hass_client, integration, device)
    assert diagnostics["vehicles"] == {}
    assert diagnostics["deliveries"] == []


async def test_vehicle_known_only_from_an_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """A vehicle error before any state: blocked signals have no age, nothing was delivered."""
    await post(fixture_bytes("vehicle_error.json"))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert diagnostics["entry"]["last_verified_at"] is None
    ev = diagnostics["vehicles"][EV_ID]
    assert ev["last_delivery_at"] is None
    assert ev["reporting"] is False
    assert ev["signals"][SOC] == {
        "status": "error",
        "source": "vehicle_error",
        "type": "CONNECTED_SERVICES_ACCOUNT",
        "code": "AUTHENTICATION_FAILED",
        "age_seconds": None,
    }
    assert all(signal["status"] != "delivered" for signal in ev["signals"].values())


async def test_many_deliveries_keep_the_last_twenty(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    post: Post,
    integration: MockConfigEntry,
) -> None:
    """Only the most recent 20 requests are listed, newest last."""
    for attempt in range(25):
        await post({"eventType": "VEHICLE_STATE", "n": attempt}, signature="bad")
    await post(fixture_bytes("verify.json"), signature=False)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert len(diagnostics["deliveries"]) == 20
    assert diagnostics["deliveries"][-1]["event_type"] == "VERIFY"
    # A VERIFY does not reset the count: only a correctly signed event does.
    assert diagnostics["entry"]["signature_failures_in_a_row"] == 25


@pytest.mark.parametrize(
    ("cloudhook", "external_url", "kind"),
    [
        (CLOUDHOOK, None, "cloudhook"),
        (CLOUDHOOK, EXTERNAL_URL, "cloudhook"),
        (None, EXTERNAL_URL, "external_url"),
        (None, "http://car.example.com", None),  # Smartcar only calls HTTPS
    ],
)
async def test_callback_url_kind(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    integration: MockConfigEntry,
    cloudhook: str | None,
    external_url: str | None,
    kind: str | None,
) -> None:
    """The download says how Smartcar reaches this instance, never the URL itself."""
    if cloudhook is not None:
        hass.config_entries.async_update_entry(
            integration, data={**integration.data, CONF_CLOUDHOOK_URL: cloudhook}
        )
    if external_url is not None:
        await hass.config.async_update(external_url=external_url)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    callback: dict[str, Any] = diagnostics["entry"]["callback_url"]
    assert callback["kind"] == kind
    assert callback["url"] == (REDACTED if kind else None)
    if cloudhook is not None:
        assert diagnostics["entry"]["data"][CONF_CLOUDHOOK_URL] == REDACTED
    assert "car.example.com" not in json.dumps(diagnostics)
