"""The device tracker: the vehicle's position and heading."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import (
    SNAPSHOT_PAYLOADS,
    Post,
)

SOC = "tractionbattery-stateofcharge"
pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the tracker platform."""
    return [Platform.DEVICE_TRACKER]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
# The combustion car of the fixtures does not deliver its location.
@pytest.mark.parametrize("payload", [name for name in SNAPSHOT_PAYLOADS if name != "ice"])
async def test_snapshot(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    payload: str,
) -> None:
    """Every tracker each fixture vehicle (and a vehicle with every signal) produces."""
    response = await post(SNAPSHOT_PAYLOADS[payload])
    assert response.status == 200
    await snapshot_platform(hass, entity_registry, snapshot, integration.entry_id)
