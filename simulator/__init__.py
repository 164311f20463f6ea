"""A Smartcar simulator: plays Smartcar's side of the vehicle-data webhook.

It sends a VERIFY, then signed VEHICLE_STATE and VEHICLE_ERROR events in the v4 wire
shape, retries refused deliveries on Smartcar's schedule and reports every answer. It is a
development and test tool that lives outside ``custom_components`` (HACS does not install
it) and shares no code with the integration, so it checks the integration independently.

Command line: ``scripts/simulate URL AMT [options]`` (see ``--help``). In-process::

    report = await simulator.run(url, token, scenario="full", speed=0.01)
    assert report.exit_code == 0
    expected = simulator.expected_state("full")
"""

from __future__ import annotations

from .engine import RETRY_DELAYS, run
from .payloads import Vehicle, encode, fleet, smartcar_hmac
from .report import DeliveryRecord, Report, Verification
from .scenario import SCENARIOS, ExpectedVehicle, Step, expected_state, timeline

__all__ = [
    "RETRY_DELAYS",
    "SCENARIOS",
    "DeliveryRecord",
    "ExpectedVehicle",
    "Report",
    "Step",
    "Vehicle",
    "Verification",
    "encode",
    "expected_state",
    "fleet",
    "run",
    "smartcar_hmac",
    "timeline",
]
