"""Where a control is offered, it stands in for the read-only entity of the same signal.

A vehicle that can be locked from Home Assistant shows one "Lock", the lock entity, not the
lock entity and a lock binary sensor that disagree while a command is pending; likewise
charging, the charge limit and the charge port (the catalog's ``replaces``). Once, when a
control is first offered for a vehicle, the read-only entity's registry entry is disabled by
the integration (or made disabled, if it never existed) and marked in its options, and the
control takes over its entity id's object id, its name, icon, area, labels and hiding, so
an automation needs only the domain changed. A user who enables the read-only entity again
keeps it. Where the control is no longer offered (its permission not asked for any more),
the read-only entity comes back in the same way and the control's entry goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_RESTORED, Platform
from homeassistant.core import callback, split_entity_id
from homeassistant.helpers import entity_registry as er
from homeassistant.util import slugify

from .catalog import SIGNALS
from .const import DOMAIN
from .roles import LockControl, NumberControl, SwitchControl, entity_unique_id

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .dispatch import Topic
    from .fleet import Vehicle
    from .roles import ControlRole
    from .runtime import SmartcarRuntime

# The mark, in a replaced entity's registry options under the integration's domain.
REPLACED_BY: Final = "replaced_by"
CONTROL_PLATFORMS: Final = {
    LockControl: Platform.LOCK,
    SwitchControl: Platform.SWITCH,
    NumberControl: Platform.NUMBER,
}


@dataclass(frozen=True, slots=True)
class Replacement:
    """A control, and the read-only entity of its signal it stands in for."""

    role: ControlRole
    control_platform: Platform
    read_only_platform: Platform
    read_only_key: str

    def unique_ids(self, vehicle_id: str) -> tuple[str, str]:
        """The control's and the read-only entity's unique ids."""
        return (
            entity_unique_id(vehicle_id, self.role.key),
            entity_unique_id(vehicle_id, self.read_only_key),
        )


REPLACEMENTS: Final = tuple(
    Replacement(
        role,
        CONTROL_PLATFORMS[type(role)],
        Platform.BINARY_SENSOR
        if any(flag.key == role.replaces for flag in spec.flags)
        else Platform.SENSOR,
        role.replaces,
    )
    for spec in SIGNALS
    for role in spec.controls
    if role.replaces
)
# By the signal the control reads, and by the read-only entity's platform and key.
BY_SIGNAL: Final = {
    spec.code: tuple(r for r in REPLACEMENTS if r.role in spec.controls) for spec in SIGNALS
}
BY_READ_ONLY: Final[dict[tuple[str, str], Replacement]] = {
    (r.read_only_platform, r.read_only_key): r for r in REPLACEMENTS
}


@callback
def async_replace_read_only_entities(
    hass: HomeAssistant,
    entry: ConfigEntry,
    runtime: SmartcarRuntime,
    offers: Callable[[ControlRole], bool],
) -> CALLBACK_TYPE:
    """Bring back what a control no longer replaces; replace as signals get values.

    Call before the platforms set up: this listener must run before theirs.
    """
    registry = er.async_get(hass)
    for item in er.async_entries_for_config_entry(registry, entry.entry_id):
        replacement = BY_READ_ONLY.get((item.domain, item.unique_id.partition("_")[2]))
        if (
            replacement is not None
            and REPLACED_BY in item.options.get(DOMAIN, {})
            and not offers(replacement.role)
        ):
            _bring_back(registry, item, replacement)

    @callback
    def replace(vehicle: Vehicle, topics: Collection[Topic]) -> None:
        for topic in topics:
            for replacement in BY_SIGNAL.get(topic, ()) if isinstance(topic, str) else ():
                if offers(replacement.role):
                    _replace(registry, entry, runtime, vehicle, replacement)

    return runtime.async_listen_new_topics(replace)


def _replace(
    registry: er.EntityRegistry,
    entry: ConfigEntry,
    runtime: SmartcarRuntime,
    vehicle: Vehicle,
    replacement: Replacement,
) -> None:
    """Disable the read-only entity for the control, once; the control takes its place."""
    control_unique_id, unique_id = replacement.unique_ids(vehicle.id)
    entity_id = registry.async_get_entity_id(replacement.read_only_platform, DOMAIN, unique_id)
    if entity_id is None:
        # Never shown: made disabled, so that its platform does not add it. Its entity id
        # is the vehicle's name and the entity's key, as the entity's name would make it.
        item = registry.async_get_or_create(
            replacement.read_only_platform,
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=runtime.devices.device_id(vehicle.id),
            disabled_by=er.RegistryEntryDisabler.INTEGRATION,
            suggested_object_id=slugify(
                f"{runtime.devices.name(vehicle)} {replacement.read_only_key}"
            ),
            has_entity_name=True,
            translation_key=replacement.read_only_key,
        )
    else:
        item = registry.entities[entity_id]
        if REPLACED_BY in item.options.get(DOMAIN, {}):
            return  # replaced before: what the user made of it since stands
        if (
            registry.async_get_entity_id(replacement.control_platform, DOMAIN, control_unique_id)
            is None
        ):
            control = registry.async_get_or_create(
                replacement.control_platform,
                DOMAIN,
                control_unique_id,
                config_entry=entry,
                device_id=item.device_id,
                suggested_object_id=split_entity_id(item.entity_id)[1],
            )
            registry.async_update_entity(control.entity_id, **_settings(item))
    if item.disabled_by is None:
        registry.async_update_entity(
            item.entity_id, disabled_by=er.RegistryEntryDisabler.INTEGRATION
        )
        # The state Home Assistant keeps for it while the entry reloads goes with it.
        state = registry.hass.states.get(item.entity_id)
        if state is not None and state.attributes.get(ATTR_RESTORED):
            registry.hass.states.async_remove(item.entity_id)
    registry.async_update_entity_options(
        item.entity_id, DOMAIN, {REPLACED_BY: replacement.role.key}
    )


def _bring_back(
    registry: er.EntityRegistry, item: er.RegistryEntry, replacement: Replacement
) -> None:
    """The control is gone: its entry goes, the read-only entity comes back in its place.

    Enabled again, with the control's entity id and settings; Home Assistant reloads the
    entry for an entity enabled, once, 30 s later.
    """
    control_unique_id, _ = replacement.unique_ids(item.unique_id.partition("_")[0])
    control_id = registry.async_get_entity_id(
        replacement.control_platform, DOMAIN, control_unique_id
    )
    if item.disabled_by is er.RegistryEntryDisabler.INTEGRATION:
        updates: dict[str, Any] = {"disabled_by": None}
        if control_id is not None:
            updates |= _settings(registry.entities[control_id])
            new_entity_id = f"{item.domain}.{split_entity_id(control_id)[1]}"
            if not registry.async_is_registered(new_entity_id):
                updates["new_entity_id"] = new_entity_id
        item = registry.async_update_entity(item.entity_id, **updates)
    registry.async_update_entity_options(item.entity_id, DOMAIN, None)
    if control_id is not None:
        registry.async_remove(control_id)


def _settings(item: er.RegistryEntry) -> dict[str, Any]:
    """What the user made of an entity: its name, icon, area, labels and hiding."""
    return {
        "name": item.name,
        "icon": item.icon,
        "area_id": item.area_id,
        "labels": set(item.labels),
        "hidden_by": item.hidden_by,
    }
