"""A real Home Assistant server process: configuration, start, readiness, stop and kill.

The server is ``scripts/run_homeassistant.py`` (the launcher ``scripts/develop`` uses) in its
own process group, with this checkout's integration linked into the configuration
directory as a user's install would have it (``custom_components -> <checkout>``). Its
console output goes to a file in that directory, so a failing test or demo can show the
tail. Its HTTP server listens on the loopback address only.

The Python that runs the server, and with it the Home Assistant version, is this process's
own unless the environment variable SMARTCAR_E2E_PYTHON names another: the newest stack
runs pytest in its test venv (whose test plugin pins an older Home Assistant) and the
server in a venv of its own, ``SMARTCAR_E2E_PYTHON=.venv-server/bin/python`` (created from
requirements_server.txt). The server runs with Python's DeprecationWarnings shown (they go
to its log through Home Assistant's ``py.warnings`` logger), so that the tests can check
that none names the integration.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Final, Self

import aiohttp

from homeassistant.util.yaml import dump

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

ROOT: Final = Path(__file__).resolve().parent.parent
LAUNCHER: Final = ROOT / "scripts" / "run_homeassistant.py"
INTEGRATIONS: Final = ROOT / "custom_components"
LOOPBACK: Final = "127.0.0.1"
OUTPUT_FILE: Final = "server-output.log"
# The frontend is one of Home Assistant's default integrations and critical: if it does
# not load, the server falls back to recovery mode, without custom integrations. Its
# files come from the home-assistant-frontend package (260 MB, at the version Home
# Assistant's frontend manifest pins; installed by scripts/develop, and by scripts/setup
# for the browser tests, not by requirements_test*.txt nor requirements_server.txt).
# Pointed at an empty "development repository", the real frontend integration sets up
# without that package and serves no pages, which is all a REST-only server needs: that
# is the default. ``minimal_configuration(..., frontend=True)`` serves the real pages.
FRONTEND_STUB: Final = "frontend-stub"
FRONTEND_PACKAGE: Final = "hass_frontend"  # the module of home-assistant-frontend
PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>
PYTHON_VARIABLE: Final = "SMARTCAR_E2E_PYTHON"
# Python hides DeprecationWarnings raised outside __main__; the server shows each once.
WARNINGS: Final = "default::DeprecationWarning,default::PendingDeprecationWarning"


class ServerError(Exception):
    """The server did not start, stopped unexpectedly or did not answer as expected."""


def _die_with_parent(parent: int) -> Callable[[], None]:
    """For the child, before it runs the server: SIGKILL it when its parent dies (Linux).

    The server has its own session, so a signal to its owner's process group (Ctrl+C, a CI
    runner cancelling the job) does not reach it; this keeps it from outliving its owner
    (a test run or the demo) when that owner is killed without the chance to stop it.
    """

    def arm() -> None:
        if sys.platform != "linux":
            return
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return arm


def server_python() -> str:
    """The interpreter that runs the server: ``$SMARTCAR_E2E_PYTHON``, else this one.

    A relative path is taken from the current directory, a bare name from ``PATH``; the
    path is made absolute but links are kept (a venv's ``bin/python`` is a link, and
    Python finds its venv through the path it was started by).
    """
    value = os.environ.get(PYTHON_VARIABLE, "").strip()
    if not value:
        return sys.executable
    found = shutil.which(value) if os.sep not in value else value
    if found is None or not os.access(found, os.X_OK) or Path(found).is_dir():
        raise ServerError(f"{PYTHON_VARIABLE}={value} is not an executable Python")
    return os.path.abspath(found)  # noqa: PTH100 (Path.resolve would follow the venv's link)


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def minimal_configuration(
    port: int, external_url: str, *, frontend: bool = False
) -> dict[str, Any]:
    """A configuration that needs nothing beyond the server's venv.

    That is the test stack (requirements_test.txt) on the pinned stack, and
    requirements_server.txt where the server has a venv of its own (SMARTCAR_E2E_PYTHON).

    No ``default_config``: only what the tests use (the REST API, config flows,
    onboarding, webhooks). A fixed location, time zone and unit system leave nothing for
    Home Assistant to detect, and the HTTPS ``external_url`` lets the Smartcar flow build
    a callback URL (Smartcar never calls it; the simulator posts to the loopback address).

    The frontend is the stub (FRONTEND_STUB) unless ``frontend``: then Home Assistant's
    real frontend serves its pages, which needs the home-assistant-frontend package in
    the server's venv (see :func:`frontend_installed`).
    """
    return {
        "homeassistant": {
            "name": "Smartcar end to end",
            "external_url": external_url,
            "latitude": 52.3731,
            "longitude": 4.8922,
            "elevation": 0,
            "unit_system": "metric",
            "time_zone": "UTC",
            "country": "NL",
            "currency": "EUR",
        },
        "http": {"server_host": LOOPBACK, "server_port": port},
        "api": None,
        "config": None,
        "onboarding": None,
        "webhook": None,
        "frontend": {} if frontend else {"development_repo": FRONTEND_STUB},
        "logger": {
            "default": "warning",
            "logs": {
                "custom_components.smartcar": "debug",
                "homeassistant.bootstrap": "info",
            },
        },
    }


def frontend_installed(python: str) -> bool:
    """Whether the interpreter ``python`` (a server's) has Home Assistant's real frontend."""
    command = [
        python,
        "-c",
        f"import importlib.util as u, sys; sys.exit(not u.find_spec({FRONTEND_PACKAGE!r}))",
    ]
    return subprocess.run(command, check=False, capture_output=True).returncode == 0


def write_configuration(config_dir: Path, configuration: Mapping[str, Any], header: str) -> None:
    """Write ``configuration.yaml`` and link this checkout's integration into the directory.

    A relative ``frontend.development_repo`` is made absolute inside ``config_dir`` and
    created empty (see FRONTEND_STUB).
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    configuration = dict(configuration)
    frontend = configuration.get("frontend")
    if isinstance(frontend, dict) and "development_repo" in frontend:
        repo = config_dir / frontend["development_repo"]
        (repo / "hass_frontend").mkdir(parents=True, exist_ok=True)
        configuration["frontend"] = {**frontend, "development_repo": str(repo)}
    text = dump(configuration)  # Home Assistant's YAML: "api:", not "api: null"
    (config_dir / "configuration.yaml").write_text(f"{header.rstrip()}\n{text}", encoding="utf-8")
    link_integrations(config_dir)


def _json_field(text: str, name: str) -> Any:
    """A field of a JSON object, or ``None`` if ``text`` is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document.get(name) if isinstance(document, dict) else None


def link_integrations(config_dir: Path) -> None:
    """``<config>/custom_components`` → this checkout's ``custom_components``.

    Home Assistant then discovers and loads the integration as it would a user's install
    (see scripts/develop for why a link and not PYTHONPATH).
    """
    link = config_dir / "custom_components"
    if link.is_symlink():
        if link.resolve() == INTEGRATIONS:
            return
        link.unlink()
    elif link.exists():
        raise ServerError(f"{link} exists and is not a link to {INTEGRATIONS}; move it away")
    link.symlink_to(INTEGRATIONS, target_is_directory=True)


@dataclass
class HomeAssistantServer:
    """One configuration directory and the server process started on it (if any).

    ``start`` may be called again after ``stop`` or ``kill``: a restart on the same
    directory, as after a reboot. The process runs in its own session, so a signal to it
    reaches every process it started, and Ctrl+C in a terminal reaches only its owner.
    """

    config_dir: Path
    port: int
    python: str = field(default_factory=server_python)
    skip_pip: bool = True
    extra_args: tuple[str, ...] = ()
    # Added to (or replacing) this process's environment, e.g. SMARTCAR_API_BASE_URL to
    # send the integration to the simulator's fake Smartcar API (simulator/api.py).
    extra_env: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0  # seconds to answer HTTP, and again to reach RUNNING
    stop_timeout: float = 60.0  # seconds to exit after SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    starts: int = field(default=0, init=False)

    @property
    def url(self) -> str:
        """The loopback base URL, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def output_file(self) -> Path:
        """Where the server's console output goes (appended to on every start)."""
        return self.config_dir / OUTPUT_FILE

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        args = [self.python, str(LAUNCHER), "--config", str(self.config_dir)]
        if self.skip_pip:
            # Nothing is installed at run time: what the configuration needs must be there.
            args.append("--skip-pip")
        return [*args, *self.extra_args]

    def environment(self) -> dict[str, str]:
        """This process's environment, with DeprecationWarnings shown (see WARNINGS).

        In the environment and not on the command line, so that the launcher's own restart
        (it executes itself again) keeps them. Filters already in ``PYTHONWARNINGS`` come
        after these, and so win. ``extra_env`` comes last.
        """
        environment = dict(os.environ)
        given = environment.get("PYTHONWARNINGS")
        environment["PYTHONWARNINGS"] = f"{WARNINGS},{given}" if given else WARNINGS
        environment.update(self.extra_env)
        return environment

    def start(self) -> None:
        """Start the server process (it answers HTTP a few seconds later)."""
        if self.running:
            raise ServerError("the server is already running")
        self.starts += 1
        with self.output_file.open("ab") as output:
            output.write(f"\n===== start {self.starts}: {' '.join(self.command())}\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509 (no threads involved)
            )

    async def wait_http(self) -> None:
        """Wait until the HTTP server answers.

        The onboarding status needs no login; once onboarding is complete, Home Assistant
        answers it with 404. (Anything that needs a login would log a warning about an
        invalid authentication on every attempt.)
        """
        await self._poll(f"{self.url}/api/onboarding", None, lambda status, _: status in {200, 404})

    async def wait_running(self, token: str) -> None:
        """Wait until Home Assistant reports the RUNNING state: startup is complete.

        Integrations and their config entries are set up before that, so the entities of
        the Smartcar entry exist with their stored values.
        """
        await self._poll(
            f"{self.url}/api/config",
            {"Authorization": f"Bearer {token}"},
            lambda status, text: status == 200 and _json_field(text, "state") == "RUNNING",  # noqa: PLR2004
        )

    async def _poll(
        self, url: str, headers: dict[str, str] | None, ready: Callable[[int, str], bool]
    ) -> None:
        """GET ``url`` until ``ready(status, body)``, giving up after ``startup_timeout``.

        The error then says what the last attempt got and shows the server's output.
        """
        timeout = self.startup_timeout
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while time.monotonic() < deadline:
                if not self.running:
                    code = self.process.returncode if self.process else None
                    raise ServerError(
                        f"the server exited with code {code} while starting; "
                        f"see {self.output_file}\n{self.tail()}"
                    )
                try:
                    async with session.get(url, headers=headers) as response:
                        if ready(response.status, await response.text()):
                            return
                        last_error = f"HTTP {response.status}"
                except (aiohttp.ClientError, TimeoutError) as err:
                    last_error = f"{type(err).__name__}: {err}"
                await asyncio.sleep(0.2)
        raise ServerError(
            f"{url} was not ready within {timeout:.0f} s ({last_error}); "
            f"see {self.output_file}\n{self.tail()}"
        )

    async def stop(self) -> int:
        """Stop gracefully (SIGTERM, as a service manager does) and wait for the exit.

        Home Assistant writes pending data on the way out. Raises ServerError if it has
        not exited in time (it is then killed).
        """
        process = self._require_process()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while process.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError(f"the server did not stop within {self.stop_timeout:.0f} s")
            await asyncio.sleep(0.1)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group, as a power cut would; wait for the exit."""
        process = self.process
        if process is None:
            return
        # Only while the leader is unreaped: a process group id that is free again could
        # be reused by an unrelated group.
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def tail(self, lines: int = 60) -> str:
        """The last lines of the server's console output."""
        try:
            text = self.output_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no server output)"
        return "\n".join(text.splitlines()[-lines:])

    def log_lines(self, *, start: int | None = None) -> list[str]:
        """The console output of one start (default: all starts), line by line."""
        try:
            text = self.output_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        if start is None:
            return text.splitlines()
        for section in text.split("\n===== start ")[1:]:
            if section.startswith(f"{start}:"):
                return section.splitlines()
        return []

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise ServerError("the server was never started")
        return self.process

    def __enter__(self) -> Self:
        """Use as a context manager: the process group is killed on exit."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Kill whatever is still running."""
        self.kill()
