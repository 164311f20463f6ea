"""Fixtures for tests against a real Home Assistant server process.

No in-process ``hass`` here: the server under test runs in its own process group on a free
loopback port with a temporary configuration directory, and is killed when the test ends,
whatever the outcome. Its console output is printed (last lines) when a test fails.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from e2e import HomeAssistantServer, free_port, minimal_configuration, write_configuration

EXTERNAL_URL = "https://smartcar-e2e.example"
HEADER = "# Written by tests/e2e for one test run; see e2e.server.minimal_configuration."
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite's autouse fixture, which would start an in-process ``hass``."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, for the fixtures' finalizers."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The server's configuration directory (kept by pytest for the last few runs)."""
    return tmp_path / "config"


@pytest.fixture
def server(
    socket_enabled: None, config_dir: Path, request: pytest.FixtureRequest
) -> Iterator[HomeAssistantServer]:
    """A configured, not yet started server on a free loopback port; killed at the end."""
    port = free_port()
    write_configuration(config_dir, minimal_configuration(port, EXTERNAL_URL), HEADER)
    server = HomeAssistantServer(config_dir, port)
    try:
        yield server
    finally:
        server.kill()
        reports = request.node.stash.get(REPORTS, {})
        if any(report.failed for report in reports.values()):
            print(f"\n--- end of the server output ({server.output_file}) ---")
            print(server.tail(80))
