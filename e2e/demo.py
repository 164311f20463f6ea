"""The live demo behind ``scripts/demo``: Home Assistant, Smartcar and simulated cars.

Starts Home Assistant with the development configuration (config/configuration.yaml plus
an HTTPS ``external_url`` placeholder) in ``.demo/``, completes onboarding with a "demo"
owner, adds the Smartcar integration with a local token through the config-flow REST API,
and feeds it with the simulator: the "full" scenario (a drive, a charge, an error), then a
slow "stream" that keeps values moving until Ctrl+C, which stops Home Assistant as well.
A second run reuses ``.demo/`` (login, token and entry are kept in ``.demo/demo.json``);
delete the directory to start over. The cars continue from where they were, in this run and
the next, through the simulator's state file (shared with ``scripts/simulate``, see
:class:`simulator.engine.StateFile`); the demo holds them while it runs, and prints the
``scripts/simulate`` command that drives more cars alongside.

``scripts/demo`` installs what the server needs first (as ``scripts/develop`` does), so
Home Assistant runs with ``--skip-pip`` and installs nothing while it runs: the
integrations of the configuration and Home Assistant's defaults, and those that onboarding
adds (``--prepare-only`` prints them, from Home Assistant's onboarding code).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib.util
import json
from pathlib import Path
import secrets
import shlex
import signal
import sys
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from homeassistant.util.yaml import parse_yaml

import simulator
from simulator.engine import StateError, StateFile, default_state_file

from .client import HomeAssistantClient, HomeAssistantError, SmartcarEntry
from .server import (
    LOOPBACK,
    ROOT,
    HomeAssistantServer,
    ServerError,
    port_in_use,
    write_configuration,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

DEMO_DIR: Final = ROOT / ".demo"
STATE_FILE: Final = "demo.json"
SOURCE_CONFIG: Final = ROOT / "config" / "configuration.yaml"
EXTERNAL_URL: Final = "https://smartcar-demo.example"
# Without a country Home Assistant raises a "country not configured" repair. The first car
# lives in Amsterdam, as does Home Assistant's default location.
COUNTRY: Final = "NL"
# The integrations that completing onboarding adds (config flows with the "onboarding"
# source, homeassistant/components/onboarding/views.py in 2026.2 to 2026.11), should the
# list no longer be found in Home Assistant's source.
ONBOARDING_INTEGRATIONS: Final = ("google_translate", "met", "radio_browser", "shopping_list")
ONBOARDING_VIEWS: Final = "homeassistant.components.onboarding.views"
ONBOARDING_LIST: Final = "onboard_integrations"
SIMULATE_SPEED: Final = 0.05  # the printed scripts/simulate example's --speed (README's)
USERNAME: Final = "demo"
STARTUP_TIMEOUT: Final = 300.0
STOP_TIMEOUT: Final = 60.0
FULL_SPEED: Final = 0.2  # the "full" scenario's minute per car in about 12 s
STREAM_COUNT: Final = 720  # deliveries per round of the endless stream
HEADER: Final = """\
# Written by scripts/demo from config/configuration.yaml on every run; edits are lost.
# The external_url is a placeholder: the Smartcar flow needs an HTTPS address to show a
# callback URL; the simulator posts to the loopback address instead."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The demo's options."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Home Assistant with the Smartcar integration, fed by the simulator.",
    )
    parser.add_argument("--port", type=int, default=8123, help="HTTP port (default 8123)")
    parser.add_argument("--vehicles", type=int, default=2, help="simulated cars (default 2)")
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between the stream's deliveries (default 5)",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="write .demo/configuration.yaml, print the integrations onboarding will add "
        "(one per line, for scripts/demo to install their requirements) and exit",
    )
    args = parser.parse_args(argv)
    if args.vehicles < 1 or args.interval <= 0:
        parser.error("--vehicles must be at least 1 and --interval positive")
    return args


def demo_configuration(port: int) -> dict[str, Any]:
    """The development configuration, on ``port``, with the external URL placeholder."""
    configuration = parse_yaml(SOURCE_CONFIG.read_text(encoding="utf-8"))
    if not isinstance(configuration, dict):
        raise ServerError(f"{SOURCE_CONFIG} is not a YAML mapping")
    core = dict(configuration.get("homeassistant") or {})
    core.update(name="Smartcar demo", external_url=EXTERNAL_URL)
    core.setdefault("country", COUNTRY)
    http = dict(configuration.get("http") or {})
    http.update(server_host=LOOPBACK, server_port=port)
    return {**configuration, "homeassistant": core, "http": http}


def onboarding_integrations() -> list[str]:
    """The integrations Home Assistant sets up when onboarding completes.

    Read from the onboarding views' source (a list literal there), without importing it;
    ONBOARDING_INTEGRATIONS if it is not found. Their requirements must be installed before
    a server that runs with ``--skip-pip`` is onboarded, or their flows and entries fail.
    """
    spec = importlib.util.find_spec(ONBOARDING_VIEWS)
    if spec is not None and spec.origin is not None:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == ONBOARDING_LIST for t in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)
            ):
                return [
                    item.value
                    for item in node.value.elts
                    if isinstance(item, ast.Constant) and isinstance(item.value, str)
                ]
    return list(ONBOARDING_INTEGRATIONS)


def simulate_command(url: str, token: str, vehicles: int) -> str:
    """The scripts/simulate command line that drives more cars alongside the demo's.

    The demo drives the fleet's first ``vehicles`` cars and holds them while it runs, so the
    command skips those; it runs the README's example (--vehicles 2 --speed 0.05).
    """
    script = ROOT / "scripts" / "simulate"
    return (
        f"SMARTCAR_AMT={shlex.quote(token)} {shlex.quote(str(script))} {shlex.quote(url)} "
        f"--skip-vehicles {vehicles} --vehicles 2 --speed {SIMULATE_SPEED:g}"
    )


def load_state(directory: Path) -> dict[str, Any]:
    """What earlier runs created: the login, the token and the entry."""
    try:
        state: dict[str, Any] = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return state


def save_state(directory: Path, state: dict[str, Any]) -> None:
    """Keep the login, token and entry for the next run (readable by this user only)."""
    path = directory / STATE_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


def say(message: str) -> None:
    """One line of the demo's own output, at once."""
    print(f"[demo] {message}", flush=True)


class Demo:
    """One run of the demo: the server, the login, the entry and the feed."""

    def __init__(
        self,
        args: argparse.Namespace,
        directory: Path = DEMO_DIR,
        cars: StateFile | None = None,
    ) -> None:
        """Prepare a run on ``directory``; the cars' values are kept in ``cars``."""
        self.args = args
        self.directory = directory
        self.state = load_state(directory)
        self.cars = cars or StateFile(default_state_file(), owner="scripts/demo")
        self.fleet = simulator.fleet(args.vehicles)
        self.server = HomeAssistantServer(
            directory, args.port, startup_timeout=STARTUP_TIMEOUT, stop_timeout=STOP_TIMEOUT
        )
        self.started = time.monotonic()

    def elapsed(self) -> str:
        """Seconds since the run started, for the messages."""
        return f"{time.monotonic() - self.started:.0f} s"

    async def run_until_stopped(self) -> None:
        """Run until Ctrl+C or SIGTERM (a second one kills Home Assistant at once)."""
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 (always inside asyncio.run)
        loop = asyncio.get_running_loop()
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        for stop_signal in stop_signals:
            loop.add_signal_handler(stop_signal, task.cancel)
        try:
            await self.run()
        finally:
            for stop_signal in stop_signals:
                loop.remove_signal_handler(stop_signal)

    async def run(self) -> None:
        """Start everything, keep feeding until cancelled, then stop the server."""
        if port_in_use(self.args.port):
            raise ServerError(
                f"port {self.args.port} is in use (is scripts/develop running?); "
                "stop it or pass --port"
            )
        self._claim_cars()
        try:
            await self._serve()
        finally:
            self.cars.release()

    def _claim_cars(self) -> None:
        """Hold the cars for the whole run (each scenario's run claims them again, nested)."""
        try:
            self.cars.claim(self.fleet)
        except StateError as err:
            raise ServerError(
                f"{err}\nscripts/demo drives the fleet's first {len(self.fleet)} car(s): "
                "stop the other simulator first"
            ) from err

    async def _serve(self) -> None:
        say(f"starting Home Assistant on {self.server.url} (log: {self.server.output_file})")
        self.server.start()
        try:
            await self.server.wait_http()
            async with aiohttp.ClientSession() as session:
                client = HomeAssistantClient(session, self.server.url)
                await self._log_in(client)
                assert client.access_token is not None  # noqa: S101 (set by _log_in)
                await self.server.wait_running(client.access_token)
                entry = await self._entry(client)
                self._banner(entry)
                await self._feed(client, entry)
        finally:
            await self._stop()

    async def _log_in(self, client: HomeAssistantClient) -> None:
        if not (await client.onboarding_status()).get("user", True):
            password = secrets.token_urlsafe(12)
            await client.onboard(name="Demo", username=USERNAME, password=password)
            self.state.update(username=USERNAME, password=password)
            save_state(self.directory, self.state)
            say(f"onboarding done, owner {USERNAME!r} created ({self.elapsed()})")
            return
        if "password" not in self.state:
            raise ServerError(
                f"{self.directory} was onboarded without scripts/demo, so the demo does not "
                f"know the login; delete {self.directory} to start over"
            )
        await client.login(self.state["username"], self.state["password"])
        await client.finish_onboarding()  # in case an earlier run stopped half-way

    async def _entry(self, client: HomeAssistantClient) -> SmartcarEntry:
        known = {entry["entry_id"] for entry in await client.config_entries()}
        saved = self.state.get("entry")
        if saved and saved["entry_id"] in known:
            return SmartcarEntry(**saved)
        token = self.state.setdefault("token", f"demo-{secrets.token_hex(16)}")
        entry = await client.create_smartcar_entry(name="Smartcar demo", token=token)
        self.state["entry"] = {
            "entry_id": entry.entry_id,
            "title": entry.title,
            "webhook_id": entry.webhook_id,
        }
        save_state(self.directory, self.state)
        say(f"Smartcar integration added ({self.elapsed()})")
        return entry

    def _banner(self, entry: SmartcarEntry) -> None:
        rule = "=" * 72
        url = entry.webhook_url(self.server.url)
        print(
            f"\n{rule}\n"
            f"  Home Assistant:  {self.server.url}\n"
            f"  Username:        {self.state['username']}\n"
            f"  Password:        {self.state['password']}\n"
            f"  Webhook URL:     {url}\n"
            f"  Token (AMT):     {self.state['token']}\n"
            f"  (kept in {self.directory / STATE_FILE}; delete {self.directory} to start over)\n"
            f"  The cars appear under Settings > Devices & services > Smartcar demo,\n"
            f"  and on the Overview dashboard. Stop with Ctrl+C.\n"
            f"\n"
            f"  The flow showed the webhook at {EXTERNAL_URL} (a placeholder); the\n"
            f"  simulator posts to the loopback address above. To drive two more cars\n"
            f"  alongside the demo's {len(self.fleet)} (it holds those), in another terminal:\n"
            f"\n"
            f"  {simulate_command(url, self.state['token'], len(self.fleet))}\n"
            f"{rule}\n",
            flush=True,
        )

    async def _feed(self, client: HomeAssistantClient, entry: SmartcarEntry) -> None:
        url = entry.webhook_url(self.server.url)
        token = self.state["token"]
        vehicles = self.args.vehicles
        say(f"feeding {vehicles} simulated car(s): a drive, a charge and an error")
        full = asyncio.create_task(
            simulator.run(
                url, token, vehicles=vehicles, scenario="full", speed=FULL_SPEED, state=self.cars
            )
        )
        try:
            await self._announce_entities(client, full)
            report = await self._while_server_runs(full)
        finally:
            full.cancel()
        say(f"first scenario: {report.summary_lines()[-1]} ({self.elapsed()})")
        say(f"now streaming: one change every {self.args.interval:g} s until Ctrl+C")
        rounds = 0
        while True:
            report = await self._while_server_runs(
                simulator.run(
                    url,
                    token,
                    vehicles=vehicles,
                    scenario="stream",
                    count=STREAM_COUNT,
                    interval=self.args.interval,
                    state=self.cars,
                )
            )
            rounds += 1
            say(f"stream round {rounds}: {report.summary_lines()[-1]}")

    async def _while_server_runs(
        self, feed: Coroutine[Any, Any, simulator.Report] | asyncio.Task[simulator.Report]
    ) -> simulator.Report:
        """Run ``feed`` (or wait for it), giving up as soon as the server is gone."""
        task = feed if isinstance(feed, asyncio.Task) else asyncio.create_task(feed)
        try:
            while not task.done():
                self._check_server()
                await asyncio.wait({task}, timeout=1.0)
            return task.result()
        finally:
            task.cancel()

    async def _announce_entities(
        self, client: HomeAssistantClient, feed: asyncio.Task[simulator.Report]
    ) -> None:
        """Say when the first vehicles' entities are there (the time a newcomer waits)."""
        while not feed.done():
            self._check_server()
            entities = await client.entity_registry()
            if entities:
                devices = await client.device_registry()
                say(
                    f"{len(devices)} vehicle(s) with {len(entities)} entities live after "
                    f"{self.elapsed()}: {', '.join(sorted(d['name'] for d in devices))}"
                )
                return
            await asyncio.sleep(0.5)

    def _check_server(self) -> None:
        if not self.server.running:
            raise ServerError(f"Home Assistant stopped unexpectedly:\n{self.server.tail()}")

    async def _stop(self) -> None:
        if not self.server.running:
            return
        say("stopping Home Assistant... (Ctrl+C again to kill it)")
        try:
            await self.server.stop()
        finally:
            self.server.kill()
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    """Run the demo (or only write its configuration); return the exit code."""
    args = parse_args(argv)
    write_configuration(DEMO_DIR, demo_configuration(args.port), HEADER)
    if args.prepare_only:
        print("\n".join(onboarding_integrations()))
        return 0
    demo = Demo(args)
    try:
        asyncio.run(demo.run_until_stopped())
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    except (ServerError, HomeAssistantError, StateError) as err:
        print(f"scripts/demo: {err}", file=sys.stderr)
        return 1
    finally:
        demo.server.kill()  # whatever happened, nothing is left running
    return 0


if __name__ == "__main__":
    sys.exit(main())
