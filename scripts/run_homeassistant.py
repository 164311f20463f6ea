"""Start Home Assistant for development, as `hass --config DIR` does.

Usage: .venv/bin/python scripts/run_homeassistant.py [--config DIR] [--debug] [--verbose]
                                                     [--skip-pip] [--recovery-mode]
       .venv/bin/python scripts/run_homeassistant.py --print-requirements [--config DIR]

Why not just `hass`? Home Assistant refuses to start on a Python below the patch release it
declares (homeassistant.__main__.validate_python: 3.13.2 for 2026.2, 3.14.2 for 2026.11),
and some machines (pyenv's 3.13.0) have an older patch release on which the server runs
fine. This launcher does what homeassistant.__main__.main does, minus that check: exit
outside a virtual environment or a container where that version's `hass` does (2026.11;
2026.2 has no such check), apply a pending backup restore, create the config directory (and
deps/ where Home Assistant still uses it: 2026.2, not 2026.11), take the single-instance
lock, build a homeassistant.runner.RuntimeConfig and call homeassistant.runner.run. On a
Python that Home Assistant accepts it behaves like `hass`, so the same command works
everywhere.

The Python that runs it is that of the venv whose Home Assistant is to run: .venv for
scripts/develop, scripts/demo and the e2e tests on the pinned stack; .venv-server
(requirements_server.txt) for the e2e tests on the newest stack (SMARTCAR_E2E_PYTHON, see
e2e/server.py).

A restart asked for from the UI (Settings > System > Restart, a backup restore) ends the run
with RESTART_EXIT_CODE; under `hass` a service manager (systemd, s6 in the container) starts
it again. Here the launcher executes itself again, so restarts work in a terminal too.

--print-requirements prints, one per line, the Python requirements of the integrations this
configuration sets up at startup: its top-level domains, Home Assistant's default
integrations, the domains of existing config entries, and all their dependencies and
after-dependencies, collected as Home Assistant's bootstrap and requirements manager do.
scripts/develop installs them before the start, in one resolution with the test stack.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import faulthandler
import importlib
import importlib.util
import json
import os
from pathlib import Path
import sys
from typing import Any

from homeassistant.const import REQUIRED_PYTHON_VER, RESTART_EXIT_CODE, __version__

FAULT_LOG_FILENAME = "home-assistant.log.fault"  # as in homeassistant/__main__.py
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def parse_arguments() -> argparse.Namespace:
    """The `hass` options that make sense for development, and --print-requirements."""
    parser = argparse.ArgumentParser(description="Start Home Assistant for development.")
    parser.add_argument("-c", "--config", default=str(DEFAULT_CONFIG_DIR))
    parser.add_argument("--debug", action="store_true", help="asyncio debug mode")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--skip-pip", action="store_true")
    parser.add_argument("--recovery-mode", action="store_true")
    parser.add_argument("--log-file", default=None)
    parser.add_argument("--log-no-color", action="store_true")
    parser.add_argument(
        "--print-requirements",
        action="store_true",
        help="print the requirements of the integrations set up at startup, then exit",
    )
    return parser.parse_args()


def module_constant(module: str, name: str) -> Any:
    """A literal module-level constant, read from the source without importing the module.

    Importing homeassistant.bootstrap takes seconds (it pre-imports the frontend's
    dependencies); its source holds the constants as plain literals. Should that change,
    import the module after all.
    """
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin is not None:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    with contextlib.suppress(ValueError):
                        return ast.literal_eval(node.value)
    return getattr(importlib.import_module(module), name)


def startup_domains(config_dir: Path) -> set[str]:
    """The domains that homeassistant.bootstrap._get_domains sets up (outside Supervisor)."""
    from homeassistant.util.yaml import Secrets, load_yaml_dict  # noqa: PLC0415

    config = load_yaml_dict(config_dir / "configuration.yaml", Secrets(config_dir))
    # "domain label" keys (e.g. "sensor 2:") name the domain before the space.
    domains = {str(key).split(" ", 1)[0] for key in config}
    domains |= set(module_constant("homeassistant.bootstrap", "CORE_INTEGRATIONS"))
    domains |= set(module_constant("homeassistant.bootstrap", "DEFAULT_INTEGRATIONS"))
    with contextlib.suppress(FileNotFoundError):
        entries = json.loads((config_dir / ".storage" / "core.config_entries").read_text())
        domains |= {entry["domain"] for entry in entries["data"]["entries"]}
    return domains


def startup_requirements(config_dir: Path) -> list[str]:
    """Requirements of the startup domains, their dependencies and after-dependencies.

    The walk of homeassistant.requirements.RequirementsManager._async_process_integration,
    over the manifests read directly, so that no instance has to run.
    """
    import homeassistant.components  # noqa: PLC0415

    discovery: dict[str, list[str]] = module_constant(
        "homeassistant.requirements", "DISCOVERY_INTEGRATIONS"
    )
    roots = [config_dir / "custom_components"]
    roots += [Path(path) for path in homeassistant.components.__path__]

    def manifest(domain: str) -> dict[str, Any] | None:
        for root in roots:
            with contextlib.suppress(FileNotFoundError):
                return dict(json.loads((root / domain / "manifest.json").read_text()))
        return None  # unknown: Home Assistant reports it at startup, nothing to install

    found: list[str] = []
    todo = sorted(startup_domains(config_dir))
    seen = set(todo)
    while todo:
        if (info := manifest(todo.pop())) is None:
            continue
        found += [req for req in info.get("requirements", []) if req not in found]
        more = [*info.get("dependencies", []), *info.get("after_dependencies", [])]
        more += [domain for domain, keys in discovery.items() if any(k in info for k in keys)]
        todo += [domain for domain in more if domain not in seen]
        seen.update(more)
    return sorted(found, key=str.lower)


def main() -> int:
    """Run Home Assistant once; return its exit code."""
    args = parse_arguments()
    config_dir = Path(args.config).resolve()
    if args.print_requirements:
        print("\n".join(startup_requirements(config_dir)))
        return 0

    if sys.version_info[:3] < REQUIRED_PYTHON_VER:
        print(
            f"run_homeassistant: Python {sys.version.split()[0]} is below the "
            f"{'.'.join(map(str, REQUIRED_PYTHON_VER))} that Home Assistant {__version__} "
            "asks for; starting it anyway (development only).",
            file=sys.stderr,
        )
    # Imported here: --print-requirements must stay quick, and these take seconds.
    from homeassistant import __main__ as hass_main  # noqa: PLC0415
    from homeassistant import config as config_util  # noqa: PLC0415
    from homeassistant import runner  # noqa: PLC0415
    from homeassistant.backup_restore import restore_backup  # noqa: PLC0415

    # Since 2026.11 Home Assistant installs requirements only into the environment it runs
    # in, and `hass` exits outside a virtual environment or a container; so does this.
    validate_environment = getattr(hass_main, "validate_environment", None)
    if validate_environment is not None:
        validate_environment()
    if restore_backup(str(config_dir)):
        return RESTART_EXIT_CODE
    # `hass` creates only the default configuration directory; a test's is new.
    config_dir.mkdir(parents=True, exist_ok=True)
    hass_main.ensure_config_path(str(config_dir))  # deps/ too, where Home Assistant uses it

    with runner.ensure_single_execution(str(config_dir)) as single_execution_lock:
        if single_execution_lock.exit_code is not None:
            return single_execution_lock.exit_code

        runtime_conf = runner.RuntimeConfig(
            config_dir=str(config_dir),
            verbose=args.verbose,
            log_file=args.log_file,
            log_no_color=args.log_no_color,
            skip_pip=args.skip_pip,
            recovery_mode=args.recovery_mode,
            debug=args.debug,
            safe_mode=config_util.safe_mode_enabled(str(config_dir)),
        )

        fault_file_name = config_dir / FAULT_LOG_FILENAME
        with fault_file_name.open(mode="a", encoding="utf8") as fault_file:
            faulthandler.enable(fault_file)
            exit_code = runner.run(runtime_conf)
            faulthandler.disable()

        with contextlib.suppress(FileNotFoundError):
            if fault_file_name.stat().st_size == 0:
                fault_file_name.unlink()

    return exit_code


if __name__ == "__main__":
    code = main()
    if code == RESTART_EXIT_CODE:
        # A fresh interpreter, as a service manager would start: modules, threads and the
        # single-instance lock (released above) all start clean.
        os.execv(sys.executable, [sys.executable, *sys.argv])  # noqa: S606 (no shell wanted)
    sys.exit(code)
