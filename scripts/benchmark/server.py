"""A real Home Assistant in this process, with the integration and the two yardsticks.

The core is built as bootstrap builds one (registries, ``http`` bound to 127.0.0.1 on a
free port, ``webhook``), the integration is set up through ``hass.config_entries`` with
signature checking on, and next to it the bench registers two handlers of its own:

* the floor, a no-op that reads the body and answers 200;
* the reference, the least any integration must do: read, check the signature,
  ``orjson.loads``, and set the state of each signal the triggers name (no entities, no
  de-duplication, no ordering).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
import hashlib
import hmac
import logging
from pathlib import Path
import secrets
import socket
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs, web
import orjson

from homeassistant import bootstrap, loader
from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_USER, ConfigEntries, ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.setup import async_setup_component

from .payloads import SIGNATURE_HEADER, TOKEN
from .seams import DOMAIN, BenchError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

REPO: Final = Path(__file__).resolve().parents[2]
# Home at Amsterdam, where tests/payloads.py's car is (location-preciselocation).
HOME: Final = {"latitude": 52.3702, "longitude": 4.8952, "elevation": 0}


class DropNoise(logging.Filter):
    """Hide two warnings that say nothing about this run.

    The loader's "custom integration ... has not been tested" (this checkout is the point),
    and aiohttp_fast_zlib's missing isal/zlib-ng (nothing on the webhook path is compressed).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those two."""
        return record.msg != loader.CUSTOM_WARNING and not (
            record.name == "aiohttp_fast_zlib" and "not available" in str(record.msg)
        )


def quiet_logging() -> None:
    """Warnings and errors only, without the two that every run would print."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("homeassistant.loader", "aiohttp_fast_zlib"):
        logging.getLogger(name).addFilter(DropNoise())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_hass(
    config_dir: Path, port: int, components: dict[str, dict[str, Any]]
) -> AsyncIterator[HomeAssistant]:
    """A started core with ``http`` on loopback, ``webhook`` and ``components``; stopped after.

    ``config_dir/custom_components`` links to this checkout's, and ``loader.async_setup``
    mounts it the way Home Assistant mounts a user's config directory.
    """
    _link_checkout(config_dir)
    hass = HomeAssistant(str(config_dir))
    try:
        hass.config.skip_pip = True  # never install anything
        hass.config_entries = ConfigEntries(hass, {})
        loader.async_setup(hass)
        await loader.async_get_custom_components(hass)
        await bootstrap.async_load_base_functionality(hass)
        if not await async_setup_component(hass, "homeassistant", {}):
            raise BenchError("setting up homeassistant failed")
        await async_process_ha_core_config(hass, dict(HOME))  # UTC, metric, home location
        http = {"server_host": ["127.0.0.1"], "server_port": port}
        if "recorder" in components:
            recorder_helper.async_initialize_recorder(hass)  # as bootstrap does
        for domain, config in {"http": {"http": http}, "webhook": {}, **components}.items():
            if not await async_setup_component(hass, domain, config):
                raise BenchError(f"setting up {domain} failed")
        await hass.async_start()  # http starts its server on EVENT_HOMEASSISTANT_START
        yield hass
    finally:
        await hass.async_stop(force=True)


def _link_checkout(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")


async def setup_integration(hass: HomeAssistant) -> ConfigEntry[Any]:
    """A Smartcar config entry, added and set up through ``hass.config_entries``."""
    entry: ConfigEntry[Any] = ConfigEntry(
        data={"management_token": TOKEN, CONF_WEBHOOK_ID: secrets.token_hex(32)},
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=SOURCE_USER,
        subentries_data=None,
        title="Smartcar",
        unique_id=None,
        version=1,
    )
    await hass.config_entries.async_add(entry)
    await hass.async_block_till_done()
    if entry.state.value != "loaded":
        raise BenchError(f"the Smartcar entry did not load: {entry.state}")
    return entry


async def noop_handler(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
    """The floor: read the whole body, answer 200."""
    await request.content.read()
    return web.Response(status=200)


async def reference_handler(
    hass: HomeAssistant, webhook_id: str, request: web.Request
) -> web.Response:
    """The least any integration must do: the reference that shows what is achievable.

    Read the body, check its signature, parse it, and set the state of each signal its
    triggers name, with the attributes a sensor carries. No de-duplication, no ordering, no
    comparison beyond the state machine's own, no entity objects: a lower bound.
    """
    body = await request.content.read()
    expected = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
        return web.Response(status=401)
    document = orjson.loads(body)
    signals = {signal["code"]: signal for signal in document["data"]["signals"]}
    for trigger in document["triggers"]:
        code = trigger["signal"]["code"]
        signal = signals[code]
        hass.states.async_set(
            f"sensor.reference_{code.replace('-', '_')}",
            str(signal["body"]["value"]),
            {
                "state_class": "measurement",
                "unit_of_measurement": signal["body"].get("unit"),
                "friendly_name": code,
                "recorded_at": datetime.fromtimestamp(
                    signal["meta"]["oemUpdatedAt"] / 1000, UTC
                ).isoformat(),
            },
        )
    return web.Response(status=200)


def register_yardstick(hass: HomeAssistant, name: str, handler: Any) -> str:
    """Register one of the bench's own handlers under a new webhook id; the id."""
    webhook_id = secrets.token_hex(32)
    webhook.async_register(
        hass, "bench", name, webhook_id, handler, allowed_methods=[hdrs.METH_POST]
    )
    return webhook_id
