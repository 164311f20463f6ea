"""The vehicle-error vocabulary: which errors need the owner, how each is named and stored."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smartcar.protocol import VehicleErrorItem
from custom_components.smartcar.vehicle_errors import (
    ERROR_STATES,
    TRANSIENT_ERRORS,
    as_dict,
    error_state,
    from_dict,
    is_actionable,
    most_pressing,
)


def error(
    error_type: str | None = "VEHICLE_STATE",
    code: str | None = "UNREACHABLE",
    *,
    resolution: str | None = None,
    signals: tuple[str, ...] = (),
) -> VehicleErrorItem:
    """One open vehicle error."""
    return VehicleErrorItem(
        type=error_type,
        code=code,
        state="ERROR",
        description="What went wrong",
        suggested_user_message="What to do",
        doc_url="https://smartcar.com/docs/errors",
        resolution=resolution,
        signals=signals,
    )


@pytest.mark.parametrize(
    ("item", "actionable"),
    [
        pytest.param(error("CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED"), True, id="code"),
        pytest.param(error("PERMISSION", None), True, id="permission-type"),
        pytest.param(
            error("VEHICLE_STATE", "OTHER", resolution="REAUTHENTICATE"), True, id="reauth"
        ),
        pytest.param(error("VEHICLE_STATE", "ASLEEP"), False, id="asleep"),
        pytest.param(error("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"), False, id="not-capable"),
    ],
)
def test_only_errors_the_owner_can_clear_are_actionable(
    item: VehicleErrorItem, actionable: bool
) -> None:
    assert is_actionable(item) is actionable


def test_transient_errors_are_not_actionable() -> None:
    assert not any(is_actionable(error(code=code)) for code in TRANSIENT_ERRORS)


@pytest.mark.parametrize(
    ("error_type", "code", "state"),
    [
        pytest.param(
            "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "authentication_failed"
        ),
        pytest.param("PERMISSION", None, "permission", id="type-without-code"),
        pytest.param("VEHICLE_STATE", "SOMETHING_NEW", "other", id="unknown-code"),
        pytest.param(None, None, "other", id="nothing"),
    ],
)
def test_error_state_names_the_code_else_the_type(
    error_type: str | None, code: str | None, state: str
) -> None:
    assert error_state(error(error_type, code)) == state
    assert state in ERROR_STATES


def test_sensor_states_name_no_error_and_any_other_error() -> None:
    assert {"none", "other"} <= set(ERROR_STATES)
    assert len(set(ERROR_STATES)) == len(ERROR_STATES)


def test_most_pressing_puts_actionable_errors_first_and_keeps_the_order() -> None:
    asleep = error("VEHICLE_STATE", "ASLEEP")
    capable = error("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
    permission = error("PERMISSION", None)
    account = error("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION")
    assert most_pressing(iter([asleep, permission, capable, account])) == [
        permission,
        account,
        asleep,
        capable,
    ]
    assert most_pressing([]) == []


def test_one_dict_form_round_trips() -> None:
    item = error("PERMISSION", None, resolution="REAUTHENTICATE", signals=("a-b", "c-d"))
    data = as_dict(item)
    assert data == {
        "type": "PERMISSION",
        "code": None,
        "state": "ERROR",
        "description": "What went wrong",
        "suggested_user_message": "What to do",
        "doc_url": "https://smartcar.com/docs/errors",
        "resolution": "REAUTHENTICATE",
        "signals": ["a-b", "c-d"],
    }
    assert from_dict(data) == item


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({}, {}, id="empty"),
        pytest.param({"type": 5, "code": ["x"], "state": None}, {}, id="not-text"),
        pytest.param({"description": "", "doc_url": ""}, {}, id="empty-text"),
        pytest.param({"signals": "a-b"}, {}, id="signals-not-a-list"),
        pytest.param({"signals": ["a-b", 3, None]}, {"signals": ("a-b",)}, id="odd-signals"),
        pytest.param({"code": "ASLEEP", "extra": 1}, {"code": "ASLEEP"}, id="unknown-field"),
    ],
)
def test_a_malformed_dict_gives_what_is_readable(
    data: dict[str, Any], expected: dict[str, Any]
) -> None:
    empty: dict[str, Any] = {
        "type": None,
        "code": None,
        "state": None,
        "description": None,
        "suggested_user_message": None,
        "doc_url": None,
        "resolution": None,
        "signals": (),
    }
    assert from_dict(data) == VehicleErrorItem(**{**empty, **expected})
