"""The benchmark runs end to end and counts what it claims to count.

It is run here the way a contributor runs it, as its own process (it starts a real Home
Assistant with the HTTP server on loopback), with counts far too small for figures that mean
anything: timings are never asserted, only that every configuration was measured and that
the state writes it reports are the writes the integration makes.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One very short benchmark run's JSON."""
    output = tmp_path_factory.mktemp("bench") / "results.json"
    command = [
        sys.executable,
        str(REPO / "scripts/bench.py"),
        *("--iterations", "20", "--warmup", "5", "--block", "10"),
        *("--vehicles", "11", "--profile", "20", "--json", str(output)),
    ]
    done = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        command, capture_output=True, text=True, timeout=240, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Targets:" in done.stdout
    loaded: dict[str, Any] = json.loads(output.read_text())
    return loaded


def test_every_configuration_is_measured_against_floor_and_reference(
    results: dict[str, Any],
) -> None:
    measured = {
        (record["signals"], record["changed"], record["vehicles"])
        for record in results["configurations"]
    }
    assert measured == {
        *((size, changed, 1) for size in (8, 28, 85) for changed in (0, 2)),
        (85, 2, 10),
        (85, 2, 11),
    }
    for record in results["configurations"]:
        for target in ("floor", "smartcar", "reference"):
            assert record[target]["deliveries"] == 20
            assert record[target]["round_trip_p50_us"] > 0
        assert record["ratio"]["round_trip_p50"] > 0


def test_two_changed_values_write_two_states_and_none_otherwise(
    results: dict[str, Any],
) -> None:
    for record in results["configurations"]:
        expected = {"battery_level": 1.0, "odometer": 1.0} if record["changed"] else {}
        for counted in ("events", "calls"):
            assert record["writes"][counted]["per_entity"] == expected, record["signals"]


def test_memory_stages_profile_and_targets_are_reported(results: dict[str, Any]) -> None:
    assert results["memory"]["vehicles_present"] == 11
    assert 0 < results["memory"]["bytes_per_vehicle"] < 4 * 1024 * 1024
    # The fleet's own values (bodies, their texts, times) are a small part of that.
    assert 0 < results["memory"]["fleet_bytes_per_vehicle"] < 256 * 1024
    stages = {row["stage"].strip() for row in results["stages"]["stages"]}
    assert {"JSON decode (load_object)", "fleet.apply_state", "runtime._publish"} <= stages
    assert results["profile"]["by_cumulative"]
    assert [check["target"].split(":")[0] for check in results["targets"]][:2] == [
        "28 signals, 2 changed",
        "85 signals, 2 changed",
    ]
