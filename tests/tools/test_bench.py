"""The benchmark runs end to end, counts what it claims to count, and fails loudly.

It is run here the way a contributor runs it, as its own process (it starts a real Home
Assistant with the HTTP server on loopback, and another with a SQLite recorder), with
counts far too small for figures that mean anything: timings are never asserted, only that
every configuration was measured, that the state writes it reports are the writes the
integration makes, that the recorder's day recorded what the deliveries changed, and that
a seam the bench needs being gone stops it with a reason instead of a smaller report.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = (
    *("--iterations", "20", "--warmup", "5", "--block", "10", "--vehicles", "11"),
    *("--profile", "20", "--recorder-deliveries", "12"),
)


def run_bench(*arguments: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m scripts.benchmark ARGS`` from the repository root (or ``-c code ARGS``)."""
    command = [sys.executable, *(("-c", code) if code else ("-m", "scripts.benchmark"))]
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [*command, *arguments], capture_output=True, text=True, timeout=300, check=False, cwd=REPO
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One very short benchmark run's JSON."""
    output = tmp_path_factory.mktemp("bench") / "results.json"
    done = run_bench(*TINY, "--json", str(output))
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
            assert record[target]["handler_p50_us"] > 0
        assert record["ratio"]["to_reference_round_trip_p50"] > 0


def test_two_changed_values_write_two_states_and_none_otherwise(
    results: dict[str, Any],
) -> None:
    for record in results["configurations"]:
        expected = {"battery_level": 1.0, "odometer": 1.0} if record["changed"] else {}
        assert record["writes"]["changed"]["per_entity"] == expected, record["signals"]
        assert record["writes"]["reported"]["per_entity"] == {}, record["signals"]


def test_memory_save_profile_and_targets_are_reported(results: dict[str, Any]) -> None:
    assert results["memory"]["vehicles_present"] == 11
    assert 0 < results["memory"]["bytes_per_vehicle"] < 4 * 1024 * 1024
    assert (
        results["memory"]["registry_entities_per_vehicle"] > results["memory"]["states_per_vehicle"]
    )
    # The integration's stored values with 11 vehicles: more than a few bytes each.
    assert results["save"]["vehicles"] == 11
    assert results["save"]["json_bytes"] > 11 * 1024
    assert results["profile"]["by_cumulative"]
    assert [check["target"].split(":")[0] for check in results["targets"]] == [
        "28 signals, 2 changed",
        "85 signals, 2 changed",
        "8 signals unchanged",
        "28 signals unchanged",
        "85 signals unchanged",
        "handler p50 with 11 vehicles <= 1.25x with 1 (flat; the tolerance is the bench's)",
        "memory per 85-signal vehicle < 1 MiB",
        "recorder database per vehicle-day <= 200 KiB",
    ]


def test_recorder_day_records_what_the_deliveries_changed(results: dict[str, Any]) -> None:
    recorder = results["recorder"]
    measured, day = recorder["measured"], recorder["per_vehicle_day"]
    assert recorder["deliveries"] == 12
    assert recorder["scaled_to_day"]
    # The first hour of the day: charging at home, the state of charge rising with each
    # delivery, and nothing else changing. One state row each, one entity, and no bus
    # event: a new value is no transition.
    assert measured["state_rows"] == 12
    assert [rows for rows in measured["state_rows_by_entity"].values() if rows] == [12]
    assert measured["events"] == {}
    # Statistics: short-term ones for each five minutes, long-term ones for the hour.
    short_term = measured["tables"]["statistics_short_term"]["rows"]
    assert short_term > 0
    assert short_term % 12 == 0
    assert measured["tables"]["statistics"]["rows"] == short_term / 12
    assert measured["vehicle_bytes"] > 0
    assert day["vehicle_bytes"] == pytest.approx(24 * measured["vehicle_bytes"])
    assert day["state_rows"] == 24 * 12
    # An electric car: the memory section's vehicles have every signal, the combustion
    # engine's four (fuel level, amount, range, oil life) too.
    assert recorder["entities_with_state"] == results["memory"]["states_per_vehicle"] - 4


# A seam gone in two ways: the integration imported before the bench could wrap
# webhook.async_register, and the integration's handler reaching Home Assistant around it.
IMPORTED_FIRST = """
import sys
import custom_components.smartcar
from scripts.benchmark.cli import main
sys.exit(main(sys.argv[1:]))
"""
REGISTERED_AROUND = """
import sys
from scripts.benchmark.seams import HandlerCapture
timed_register = HandlerCapture._register
def register(self, hass, domain, name, webhook_id, handler, **options):
    if domain == "smartcar":
        return self._original(hass, domain, name, webhook_id, handler, **options)
    return timed_register(self, hass, domain, name, webhook_id, handler, **options)
HandlerCapture._register = register
from scripts.benchmark.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("code", [IMPORTED_FIRST, REGISTERED_AROUND], ids=["first", "around"])
def test_a_missing_seam_stops_the_bench_with_its_reason(code: str, tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = run_bench(*TINY, "--no-recorder", "--json", str(output), code=code)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "scripts/bench: cannot measure:" in done.stderr
    assert "homeassistant.components.webhook.async_register" in done.stderr
    assert "Targets:" not in done.stdout
    assert not output.exists()
