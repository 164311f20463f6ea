"""The README stays true: every entity, trigger and repair it must list is listed."""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

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


@pytest.mark.parametrize("trigger", list(STRINGS["device_automation"]["trigger_type"]))
def test_every_trigger_is_documented(trigger: str) -> None:
    """Each device trigger (and event type) is in the triggers table."""
    assert f"| `{trigger}` |" in README


def test_every_repair_is_documented() -> None:
    """Each repair issue the integration raises has a row in the repairs table."""
    repairs = README.split("## Repairs", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in repairs.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(STRINGS["issues"])
