"""A real Home Assistant server with this checkout's integration, for the demo and the tests.

:mod:`e2e.server` starts, stops and kills the server process on a loopback port;
:mod:`e2e.client` onboards it, logs in, adds the Smartcar entry through the config-flow
REST API and reads states; :mod:`e2e.demo` (``scripts/demo``) puts them together with the
simulator. Like ``simulator/``, it lives outside ``custom_components`` and is not shipped.
"""

from __future__ import annotations

from .client import ConnectEntry, HomeAssistantClient, HomeAssistantError, SmartcarEntry
from .server import (
    HomeAssistantServer,
    ServerError,
    free_port,
    minimal_configuration,
    write_configuration,
)

__all__ = [
    "ConnectEntry",
    "HomeAssistantClient",
    "HomeAssistantError",
    "HomeAssistantServer",
    "ServerError",
    "SmartcarEntry",
    "free_port",
    "minimal_configuration",
    "write_configuration",
]
