"""The README stays true: every entity, trigger and repair it must list is listed."""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

from custom_components.smartcar.const import DOMAIN
from custom_components.smartcar.control import RATE_LIMIT_PAUSE
from custom_components.smartcar.monthly_call_counter import DEFAULT_MONTHLY_CALL_LIMIT
from custom_components.smartcar.pending_commands import CONFIRM_READ_AFTER, PENDING_AT_MOST

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
STRINGS = json.loads(
    (ROOT / "custom_components/smartcar/translations/en.json").read_text(encoding="utf-8")
)


def test_quick_start_is_two_commands() -> None:
    """The README opens with the two commands that set everything up."""
    quick_start = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()[1:] if line]
    assert commands == ["scripts/develop", "scripts/test"]


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[-1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("platform", "key"),
    [
        (platform, key)
        for platform in ("sensor", "binary_sensor", "device_tracker", "event")
        for key in STRINGS["entity"][platform]
    ],
)
def test_every_entity_is_documented(platform: str, key: str) -> None:
    """Each entity's name appears in a README table row."""
    name = STRINGS["entity"][platform][key]["name"]
    assert re.search(rf"^\| {re.escape(name)} \|", README, re.MULTILINE), name


@pytest.mark.parametrize(
    ("platform", "key"),
    [
        (platform, key)
        for platform in ("lock", "switch", "number", "button")
        for key in STRINGS["entity"][platform]
    ],
)
def test_every_control_is_documented(platform: str, key: str) -> None:
    """Each control's name, and its platform, is a row of the Controls table."""
    name = STRINGS["entity"][platform][key]["name"]
    row = rf"^\| {re.escape(name)} \| {platform} \|"
    assert re.search(row, _section("Controls"), re.MULTILINE), name


def test_controls_say_how_long_a_command_waits_and_what_calls_cost() -> None:
    """The figures a user relies on are the code's: the waits, the limit, the count's file."""
    controls = _section("Controls")
    assert f"within {CONFIRM_READ_AFTER.seconds} s of Smartcar's answer" in controls
    assert f"After {PENDING_AT_MOST.seconds // 60} minutes without confirmation" in controls
    assert f"at {DEFAULT_MONTHLY_CALL_LIMIT} counted" in controls
    assert f"else {RATE_LIMIT_PAUSE.seconds} s" in controls
    assert "`.storage/smartcar.<entry_id>.api_calls`" in controls
    assert all(f"`{DOMAIN}.{action}`" in controls for action in STRINGS["services"])


@pytest.mark.parametrize("trigger", list(STRINGS["device_automation"]["trigger_type"]))
def test_every_trigger_is_documented(trigger: str) -> None:
    """Each device trigger (and event type) is in the triggers table."""
    assert f"| `{trigger}` |" in README


def test_every_repair_is_documented() -> None:
    """Each repair issue the integration raises has a row in the repairs table."""
    repairs = README.split("## Repairs", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in repairs.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(STRINGS["issues"])
