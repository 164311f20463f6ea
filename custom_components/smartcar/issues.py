"""Repair issues: problems the user can act on, each removed by itself once its cause is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .vehicle_errors import is_actionable

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .fleet import Vehicle

SIGNATURE_FAILURES: Final = "signature_failures"
NOT_REPORTING: Final = "not_reporting"
NO_PUBLIC_URL: Final = "no_public_url"
VEHICLE_ERROR: Final = "vehicle_error"
CONNECT_V2: Final = "connect_v2"
# Entities of wbyoung/smartcar with no counterpart here, removed by the switch.
SWITCH_REMOVED_ENTITIES: Final = "switch_removed_entities"
# The stored values could not be read at this start (store.py).
STORAGE_LOST: Final = "storage_lost"


def entry_issue_id(kind: str, entry_id: str) -> str:
    """The id of an issue about a whole config entry."""
    return f"{kind}_{entry_id}"


def vehicle_issue_prefix(kind: str, vehicle_id: str) -> str:
    """The common start of the ids of one kind of issue about one vehicle."""
    return f"{kind}_{vehicle_id}"


def async_set_issue(  # noqa: PLR0913
    hass: HomeAssistant,
    issue_id: str,
    *,
    active: bool,
    translation_key: str,
    placeholders: dict[str, str] | None = None,
    fixable: bool = False,
    data: dict[str, str | int | float | None] | None = None,
    learn_more_url: str | None = None,
    severity: ir.IssueSeverity = ir.IssueSeverity.ERROR,
) -> None:
    """Create the issue while its cause stands, delete it once the cause is gone."""
    if not active:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=fixable,
        is_persistent=False,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders=placeholders,
        data=data,
        learn_more_url=learn_more_url,
    )


def async_sync_vehicle_errors(hass: HomeAssistant, vehicle: Vehicle, name: str) -> None:
    """One repair per actionable error the vehicle has now; none for cleared ones."""
    prefix = vehicle_issue_prefix(VEHICLE_ERROR, vehicle.id)
    wanted = {
        f"{prefix}_{item.type}_{item.code}".lower(): item
        for item in vehicle.errors.values()
        if is_actionable(item)
    }
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, item in wanted.items():
        async_set_issue(
            hass,
            issue_id,
            active=True,
            translation_key=VEHICLE_ERROR,
            placeholders={
                "vehicle": name,
                "error": f"{item.type} / {item.code}",
                "message": item.suggested_user_message
                or item.description
                or "Smartcar reports a problem with this vehicle's connection.",
                "doc_url": item.doc_url or "https://smartcar.com/docs/errors",
            },
            learn_more_url=item.doc_url,
        )
