"""The live demo's set-up (``e2e/demo.py`` behind ``scripts/demo``), without starting it.

What its first run needs to be clean (the integrations onboarding adds, a country), what
it prints for ``scripts/simulate``, and that it holds its cars while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import shlex
import socket
import subprocess
import sys
import time
from unittest.mock import patch

import pytest

from homeassistant.components.onboarding import views

from e2e import SmartcarEntry, demo
from e2e.server import ROOT, ServerError
import simulator
from simulator.cli import parse_args
from simulator.engine import StateFile, _process_start


def _args(vehicles: int = 2) -> argparse.Namespace:
    return argparse.Namespace(port=8123, vehicles=vehicles, interval=5.0, prepare_only=False)


def test_onboarding_integrations_come_from_home_assistant() -> None:
    """The list is read from the onboarding views' source and names real integrations."""
    domains = demo.onboarding_integrations()
    assert domains == ["google_translate", "met", "radio_browser", "shopping_list"]
    assert set(domains) == set(demo.ONBOARDING_INTEGRATIONS)
    source = Path(views.__file__).read_text(encoding="utf-8")
    components = Path(views.__file__).parents[1]
    for domain in domains:
        assert f'"{domain}"' in source
        assert (components / domain / "manifest.json").is_file()


def test_onboarding_integrations_fall_back_to_the_known_list() -> None:
    """Should Home Assistant's source no longer have the list, the known one is used."""
    with patch.object(demo, "ONBOARDING_LIST", "no_such_name"):
        assert demo.onboarding_integrations() == list(demo.ONBOARDING_INTEGRATIONS)


def test_prepare_only_prints_the_onboarding_integrations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """scripts/demo reads the integrations to install from --prepare-only's output."""
    with patch.object(demo, "DEMO_DIR", tmp_path):
        assert demo.main(["--prepare-only"]) == 0
    assert capsys.readouterr().out.split() == demo.onboarding_integrations()
    assert (tmp_path / "configuration.yaml").is_file()
    assert (tmp_path / "custom_components").is_symlink()


def test_the_demo_configuration_sets_a_country() -> None:
    """No "country not configured" repair: the country is set, with the placeholder URL."""
    core = demo.demo_configuration(8124)["homeassistant"]
    assert core["country"] == "NL"
    assert core["external_url"] == demo.EXTERNAL_URL
    assert demo.demo_configuration(8124)["http"]["server_port"] == 8124


def test_the_printed_command_drives_other_cars() -> None:
    """The scripts/simulate command: the webhook, the token, the cars after the demo's."""
    url = "http://127.0.0.1:8123/api/webhook/abc"
    command = shlex.split(demo.simulate_command(url, "demo-t0k'en", 2))
    assert command[0] == "SMARTCAR_AMT=demo-t0k'en"
    script = Path(command[1])
    assert script == ROOT / "scripts" / "simulate"
    assert os.access(script, os.X_OK)
    with patch.dict(os.environ, {"SMARTCAR_AMT": "demo-t0k'en"}):
        args = parse_args(command[2:])
    assert (args.url, args.token) == (url, "demo-t0k'en")
    assert (args.skip_vehicles, args.vehicles, args.speed) == (2, 2, 0.05)
    demo_cars = {car.id for car in simulator.fleet(2)}
    assert demo_cars.isdisjoint(car.id for car in simulator.fleet(2, first=2))


def test_the_banner_shows_the_webhook_token_and_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The login, the loopback webhook URL, the token and the command that uses them."""
    run = demo.Demo(_args(), tmp_path, cars=StateFile(tmp_path / "vehicles.json"))
    run.state.update({"username": "demo", "password": "pw", "token": "demo-123"})
    run._banner(SmartcarEntry(entry_id="e", title="Smartcar demo", webhook_id="abc"))
    out = capsys.readouterr().out
    url = "http://127.0.0.1:8123/api/webhook/abc"
    assert f"Webhook URL:     {url}\n" in out
    assert "Token (AMT):     demo-123\n" in out
    assert f"  {demo.simulate_command(url, 'demo-123', 2)}\n" in out
    assert "Password:        pw\n" in out


def test_the_demo_holds_its_cars(tmp_path: Path) -> None:
    """While the demo runs, its cars are its own; another live driver stops it first."""
    path = tmp_path / "vehicles.json"
    run = demo.Demo(_args(), tmp_path, cars=StateFile(path, "scripts/demo"))
    run._claim_cars()
    drivers = json.loads(path.read_text())["drivers"]
    assert set(drivers) == {car.id for car in simulator.fleet(2)}
    assert {lease["owner"] for lease in drivers.values()} == {"scripts/demo"}
    run.cars.release()
    assert json.loads(path.read_text())["drivers"] == {}

    other = os.getppid()  # a live process that is not this one
    document = json.loads(path.read_text())
    document["drivers"][simulator.fleet(1)[0].id] = {
        "pid": other,
        "started": _process_start(other),
        "host": socket.gethostname(),
        "owner": "scripts/simulate",
        "seen": int(time.time() * 1000),
    }
    path.write_text(json.dumps(document))
    with pytest.raises(ServerError, match="KIA EV6 by scripts/simulate, pid "):
        demo.Demo(_args(), tmp_path, cars=StateFile(path))._claim_cars()


def test_ha_sh_installs_the_requirements_of_extra_domains(tmp_path: Path) -> None:
    """ha_install_server_requirements CONFIG CALLER DOMAIN...: the domains' requirements too.

    Run in a scratch checkout whose uv records what it was asked to install.
    """
    (tmp_path / "scripts" / "lib").mkdir(parents=True)
    for name in ("run_homeassistant.py", "lib/ha.sh"):
        (tmp_path / "scripts" / name).symlink_to(ROOT / "scripts" / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    python = tmp_path / ".venv" / "bin" / "python"
    python.write_text(f'#!/usr/bin/env bash\nexec {shlex.quote(sys.executable)} "$@"\n')
    python.chmod(0o755)
    uv = tmp_path / ".venv" / "bin" / "uv"
    uv.write_text(
        "#!/usr/bin/env bash\n"
        'while [[ $# -gt 0 ]]; do [[ $1 == -r ]] && cat "$2" >>installed.txt; shift; done\n'
    )
    uv.chmod(0o755)
    (tmp_path / "requirements_test.txt").write_text("pytest\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "configuration.yaml").write_text("sun:\n")

    def install(*domains: str) -> set[str]:
        (tmp_path / "installed.txt").unlink(missing_ok=True)
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "bash",
                "-c",
                'set -euo pipefail; source scripts/lib/ha.sh; ha_install_server_requirements "$@"',
                "-",
                "config",
                "test",
                *domains,
            ],
            cwd=tmp_path,
            check=True,
            timeout=120,
        )
        return set((tmp_path / "installed.txt").read_text().split())

    plain = install()
    assert "pytest" in plain
    assert not {"PyMetno==0.13.0", "gTTS==2.5.3"} & plain
    onboarding = install(*demo.onboarding_integrations())
    assert onboarding > plain
    missing = {"PyMetno", "gTTS", "radios", "pycountry"} - {r.split("=")[0] for r in onboarding}
    assert missing == set()
    assert list(tmp_path.glob("tmp*")) == []  # the scratch configuration is gone
