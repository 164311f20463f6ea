"""Fixtures for the browser tests: a real server with the real frontend, and Chromium.

The server is the end-to-end tests' (``e2e.server``) with Home Assistant's real frontend
instead of the stub, so the home-assistant-frontend package must be in the server's venv
(scripts/setup installs it at the version Home Assistant's frontend manifest pins). Its
core configuration (location, units, no external URL) is in storage rather than in
configuration.yaml, so that the Network page can set the external URL as a user does; the
onboarding steps after the owner account are marked done, so that Home Assistant suggests
no integrations (they would reach the internet).

The browser is Debian's Chromium (``apt-get install chromium``; another binary through
SMARTCAR_CHROMIUM), driven by Playwright's Python package: no browser download. Without
one the tests are skipped, saying how to install it. Each test's screenshots go to
``$SMARTCAR_SCREENSHOTS`` when set (``scripts/screenshots`` uses that for the README's
images), else to the test's temporary directory; a failing test adds ``failure.png``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import json
import os
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any, Final

import pytest

from e2e import HomeAssistantServer, free_port, minimal_configuration, write_configuration
from e2e.server import frontend_installed
from tests.e2e.conftest import EXTERNAL_URL, REPORTS

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM_VARIABLE: Final = "SMARTCAR_CHROMIUM"
CHROMIUM: Final = "/usr/bin/chromium"
SCREENSHOTS_VARIABLE: Final = "SMARTCAR_SCREENSHOTS"
FAILURE: Final = "failure.png"
# Chromium's own background connections (component updates, sync, field trials, QUIC
# probes) are refused on a closed network and can stall a page; none is needed here.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: Final = {"width": 1280, "height": 800}
TIMEOUT_MS: Final = 15_000  # for each action and expectation
SETTLE_MS: Final = 300
# The pages only ever need the server: whatever else they ask for (brand images from
# brands.home-assistant.io on Home Assistant 2026.2, for example) is refused at once
# instead of waiting for a network that may not be there.
OUTSIDE: Final = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|blob:)")
HEADER: Final = (
    "# Written by tests/e2e/browser for one test run; see tests/e2e/browser/conftest.py."
)
# Home Assistant's core configuration as Settings > System > General stores it.
CORE_CONFIG_VERSION: Final = (1, 4)
ONBOARDING_VERSION: Final = (4, 1)
ONBOARDING_AFTER_USER: Final = ("core_config", "analytics", "integration")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (pyproject.toml registers the others)."""
    config.addinivalue_line(
        "markers",
        "browser: drives Home Assistant's real frontend in Chromium (tests/e2e/browser); "
        "deselect with -m 'not browser'",
    )


# The end-to-end tests' conftest (one level up) keeps the in-process ``hass`` away and
# each test's phase reports in REPORTS.


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(report.failed for report in request.node.stash.get(REPORTS, {}).values())


@pytest.fixture
def chromium() -> str:
    """The Chromium binary; the test is skipped where there is none."""
    path = os.environ.get(CHROMIUM_VARIABLE, "").strip() or CHROMIUM
    if not os.access(path, os.X_OK):
        pytest.skip(
            f"no Chromium at {path}: install Debian's chromium (apt-get install chromium)"
            f" or name another binary in {CHROMIUM_VARIABLE}"
        )
    return path


class Screenshots:
    """Numbered screenshots of one test, in the order they are taken."""

    def __init__(self, folder: Path) -> None:
        """Write into ``folder`` (created; an earlier run's screenshots are removed)."""
        folder.mkdir(parents=True, exist_ok=True)
        for old in (*folder.glob("[0-9][0-9]-*.png"), folder / FAILURE):
            old.unlink(missing_ok=True)
        self.folder = folder
        self.taken: list[Path] = []

    async def take(self, page: Page, name: str, *, height: int | None = None) -> Path:
        """Save what the page shows now as ``NN-name.png``; ``height`` for a taller window.

        Home Assistant's pages scroll inside their own layout, so a "full page" shot is
        no taller than the window: a taller window shows more of a long page.
        """
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        if height is not None:
            await page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
            await page.wait_for_timeout(SETTLE_MS)  # the layout follows the new size
        try:
            await page.screenshot(path=path, animations="disabled", caret="hide")
        finally:
            if height is not None:
                await page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
        self.taken.append(path)
        return path


@pytest.fixture
def screenshots(tmp_path: Path) -> Screenshots:
    """Where this test's screenshots go: ``$SMARTCAR_SCREENSHOTS``, else its temporary dir."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE, "").strip()
    return Screenshots(Path(folder).resolve() if folder else tmp_path / "screenshots")


def _write_storage(config_dir: Path, key: str, version: tuple[int, int], data: Any) -> None:
    """One of Home Assistant's ``.storage`` files, as Home Assistant writes it."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    document = {"version": version[0], "minor_version": version[1], "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2), encoding="utf-8")


def write_browser_configuration(config_dir: Path, port: int) -> None:
    """The e2e configuration with the real frontend; core settings in storage, no URL.

    The location, time zone and units of ``minimal_configuration`` move to
    ``.storage/core.config``: with none of them in configuration.yaml, the Network page
    lets the user set the external URL, which starts unset.
    """
    configuration = minimal_configuration(port, EXTERNAL_URL, frontend=True)
    core = dict(configuration.pop("homeassistant"))
    core.pop("external_url")
    core_config = {
        "location_name": core.pop("name"),
        "unit_system_v2": core.pop("unit_system"),
        **core,
        "external_url": None,
        "internal_url": None,
        "language": "en",
        "radius": 100,
    }
    write_configuration(config_dir, configuration, HEADER)
    _write_storage(config_dir, "core.config", CORE_CONFIG_VERSION, core_config)
    _write_storage(config_dir, "onboarding", ONBOARDING_VERSION, {"done": ONBOARDING_AFTER_USER})


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The server's configuration directory (kept by pytest for the last few runs)."""
    return tmp_path / "config"


@pytest.fixture
def server(
    socket_enabled: None, chromium: str, config_dir: Path, request: pytest.FixtureRequest
) -> Iterator[HomeAssistantServer]:
    """A configured, not yet started server with the real frontend; killed at the end."""
    port = free_port()
    write_browser_configuration(config_dir, port)
    server = HomeAssistantServer(config_dir, port)
    if not frontend_installed(server.python):
        pytest.fail(
            f"{server.python} has no home-assistant-frontend: run scripts/setup"
            " (it installs the version Home Assistant pins)"
        )
    try:
        yield server
    finally:
        server.kill()
        if _failed(request):
            print(f"\n--- end of the server output ({server.output_file}) ---")
            print(server.tail(80))


@pytest.fixture
async def page(
    chromium: str, tmp_path: Path, screenshots: Screenshots, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """A page of a fresh headless Chromium (its own profile), 1280 x 800, in English."""
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.fail("Playwright is not installed in this venv: run scripts/setup")
    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=chromium,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="en-US",
            timezone_id="UTC",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            await context.route(OUTSIDE, lambda route: route.abort())
            page = context.pages[0] if context.pages else await context.new_page()
            yield page
            if _failed(request):
                for open_page in context.pages:
                    print(f"\nfailed on {open_page.url}; what it shows, in short:")
                    print((await open_page.locator("body").aria_snapshot())[-4000:])
                path = screenshots.folder / FAILURE
                await context.pages[-1].screenshot(path=path)
                print(f"screenshot of the failure: {path}")
        finally:
            await context.close()
