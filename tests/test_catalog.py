"""The signal catalog is the one place signals are declared, and everything agrees with it.

Every role has its name, its icon and its README row; every transition its trigger label;
Connect asks for exactly the catalog's permissions; and no module but the catalog writes a
signal code.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re

import pytest

from custom_components.smartcar.api import SCOPES
from custom_components.smartcar.catalog import BY_CODE, SIGNALS, SignalSpec
from custom_components.smartcar.roles import Choice, Flag, Moment, Number, Role
from custom_components.smartcar.signals import UNIT_FAMILIES
from custom_components.smartcar.transitions import TRANSITION_TYPES

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components/smartcar"
README = (ROOT / "README.md").read_text(encoding="utf-8")
STRINGS = json.loads((PACKAGE / "translations/en.json").read_text(encoding="utf-8"))
ICONS = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))
# Smartcar's read permissions (PROTOCOL.md §8).
SMARTCAR_READ_PERMISSIONS = frozenset(
    "read_alerts read_battery read_charge read_charge_locations read_charge_records "  # noqa: SIM905
    "read_charge_events read_climate read_compass read_diagnostics read_engine_oil "
    "read_extended_vehicle_info read_fuel read_location read_odometer read_security "
    "read_service_history read_speedometer read_thermometer read_tires read_user_profile "
    "read_vehicle_info read_vin".split()
)


def _device_class(role: Role) -> str | None:
    """The device class the README names: the role's own, or the one its kind implies."""
    if isinstance(role, Choice):
        return "enum"
    if isinstance(role, Moment):
        return "timestamp"
    return getattr(role, "device_class", None)


def _platform(role: Role) -> str:
    if isinstance(role, Flag):
        return "binary_sensor"
    return "device_tracker" if role.key == "location" else "sensor"


ROLES = [
    (spec, role)
    for spec in SIGNALS
    for role in (*spec.sensors, *spec.flags, *([spec.tracker] if spec.tracker else []))
]
ROLE_IDS = [role.key for _, role in ROLES]


def test_codes_and_keys_are_unique() -> None:
    """One entry per signal, one entity key per role: unique ids depend on it."""
    assert len(BY_CODE) == len(SIGNALS)
    assert len(set(ROLE_IDS)) == len(ROLE_IDS)


def test_codes_are_smartcar_codes() -> None:
    """Lower-case ``group-name``, the form deliveries are matched in."""
    for spec in SIGNALS:
        assert re.fullmatch(r"[a-z]+-[a-z]+", spec.code), spec.code


@pytest.mark.parametrize("spec", SIGNALS, ids=[spec.code for spec in SIGNALS])
def test_every_signal_needs_a_smartcar_permission(spec: SignalSpec) -> None:
    assert spec.needs
    assert set(spec.needs) <= SMARTCAR_READ_PERMISSIONS


def test_connect_asks_for_exactly_the_catalogs_permissions() -> None:
    assert set(SCOPES) == {permission for spec in SIGNALS for permission in spec.needs}


@pytest.mark.parametrize("spec", SIGNALS, ids=[spec.code for spec in SIGNALS])
def test_numbers_have_a_known_unit(spec: SignalSpec) -> None:
    """A signal with a number names the unit it is in when a delivery names none."""
    numbers = [role for role in spec.sensors if isinstance(role, Number)]
    assert bool(numbers) == (spec.unit is not None)
    if spec.unit is not None:
        assert spec.unit in UNIT_FAMILIES


@pytest.mark.parametrize(("spec", "role"), ROLES, ids=ROLE_IDS)
def test_every_role_has_its_name_icon_and_readme_row(spec: SignalSpec, role: Role) -> None:
    """Translated, with an icon (its own, or its device class's), and in the README's table."""
    platform = _platform(role)
    strings = STRINGS["entity"][platform][role.key]
    device_class = _device_class(role)
    has_own_icon = role.key in ICONS["entity"].get(platform, {})
    assert has_own_icon or device_class is not None, f"{role.key} has no icon"
    row = f"| {strings['name']} | `{spec.code}` |"
    if platform != "device_tracker":
        row += f" {device_class or '—'} |"
    assert row in README, row


CHOICES = [role for _, role in ROLES if isinstance(role, Choice)]


@pytest.mark.parametrize("choice", CHOICES, ids=[choice.key for choice in CHOICES])
def test_every_choice_state_is_translated(choice: Choice) -> None:
    assert set(STRINGS["entity"]["sensor"][choice.key]["state"]) == set(choice.options)


def test_every_transition_has_a_trigger_label_and_event_type() -> None:
    triggers = STRINGS["device_automation"]["trigger_type"]
    events = STRINGS["entity"]["event"]["vehicle_event"]["state_attributes"]["event_type"]
    assert set(TRANSITION_TYPES) == set(triggers) == set(events["state"])


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


@pytest.mark.parametrize(
    "module",
    sorted(path.name for path in PACKAGE.glob("*.py") if path.name != "catalog.py"),
)
def test_no_module_but_the_catalog_writes_a_signal_code(module: str) -> None:
    """A signal code in a platform or the runtime would be a second place to change it."""
    literals = _string_literals(PACKAGE / module)
    assert not literals & BY_CODE.keys()
    # Nor a code pieced together from its group ("diagnostics-" + ...).
    groups = {spec.code.split("-", 1)[0] + "-" for spec in SIGNALS}
    assert not literals & groups
