"""The two test stacks' snapshots tell the same story about the integration.

Each stack records its own snapshots (``tests/snapshots-<stack>/``, see conftest.py),
because Home Assistant's own parts of them change between versions. What the integration
writes must not: after removing the differences known to be Home Assistant's, both files
of every snapshot must be equal. A new Home Assistant difference is added here, by name.
"""

from __future__ import annotations

from pathlib import Path
import re

import pytest

TESTS = Path(__file__).parent

# Home Assistant 2026.3-2026.10 changes, each written back in 2026.2's form.
HOME_ASSISTANT_CHANGES = (
    # State attribute keys became StrEnum members, shown with their class.
    (re.compile(r"<[A-Za-z]+Attribute\.[A-Z_]+: '([a-z_]+)'>"), r"'\1'"),
    # Entity registry aliases became a list, holding None for the entity's own name.
    (re.compile(r"'aliases': list\(\[\n\s+None,\n\s+\]\),"), "'aliases': set({\n    }),"),
    # Trackers gained a tracking type (a capability and an attribute) and in_zones (2026.7).
    (
        re.compile(
            r"'capabilities': dict\(\{\n\s+'tracking_type': <TrackingType\.POSITION: "
            r"'position'>,\n\s+\}\),"
        ),
        "'capabilities': None,",
    ),
    (re.compile(r"\n\s+'in_zones': list\(\[\n\s+\]\),"), ""),
    (re.compile(r"\n\s+'tracking_type': <TrackingType\.POSITION: 'position'>,"), ""),
)


def _as_minimum(text: str) -> str:
    for pattern, replacement in HOME_ASSISTANT_CHANGES:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize(
    "name", sorted(path.name for path in (TESTS / "snapshots-minimum").glob("*.ambr"))
)
def test_both_stacks_snapshot_the_same_integration(name: str) -> None:
    minimum = (TESTS / "snapshots-minimum" / name).read_text()
    newest = (TESTS / "snapshots-newest" / name).read_text()
    assert _as_minimum(newest) == minimum
