"""Unit tests for the pure envelope reading (protocol.py) and body decoding (json_body.py).

Everything here runs without Home Assistant. The fixture files are the invented examples of
PROTOCOL.md section 14; the small payloads built below cover each wire variant that
PROTOCOL.md sections 2-6 list, because Smartcar's docs and its live traffic disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.smartcar.json_body import ProtocolError, load_object
from custom_components.smartcar.protocol import (
    FIRST_DELIVERY,
    Event,
    Signal,
    SignalError,
    Trigger,
    UnknownEvent,
    VehicleError,
    VehicleInfo,
    VehicleState,
    parse_event,
    read_signal,
    signal_code,
)

FIXTURES = Path(__file__).parent / "fixtures"
PAYLOAD_FILES = sorted(
    path.name for path in FIXTURES.glob("*.json") if path.name != "signatures.json"
)
VEHICLE_ID = "9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"
ICE_ID = "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
ISO_DELIVERED = "2025-12-29T08:15:02.117Z"
ISO_DELIVERED_MS = 1766996102117
NOW = 1_767_000_000_000


def raw(name: str) -> bytes:
    """A fixture file's exact bytes, as they would arrive on the wire."""
    return (FIXTURES / name).read_bytes()


def parse(document: Any) -> Event:
    """Parse a document as the webhook does: from its JSON bytes."""
    return parse_event(load_object(json.dumps(document).encode()))


def envelope(
    event_type: str = "VEHICLE_STATE",
    *,
    data: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A minimal v4.0 envelope for one vehicle, with extra top-level fields."""
    return {
        "eventId": "event-1",
        "eventType": event_type,
        "data": {"vehicle": {"id": VEHICLE_ID}} if data is None else data,
        "meta": {"deliveredAt": 1_700_000_000_000, "mode": "LIVE"} if meta is None else meta,
        **top,
    }


def state_with(*signals: Any, **top: Any) -> VehicleState:
    """Parse a VEHICLE_STATE carrying the given signal objects."""
    event = parse(envelope(data={"vehicle": {"id": VEHICLE_ID}, "signals": list(signals)}, **top))
    assert isinstance(event, VehicleState)
    return event


def signals_of(event: VehicleState) -> tuple[Signal, ...]:
    """Every signal of a delivery, read (the unreadable ones skipped), as the fleet reads them."""
    return tuple(
        signal for item in event.signal_objects if (signal := read_signal(item)) is not None
    )


def first_delivery(event: VehicleState) -> bool:
    """Whether a delivery is the first after the vehicle was subscribed."""
    return any(trigger.type == FIRST_DELIVERY for trigger in event.triggers)


def only_signal(item: Any) -> Signal:
    """Parse one signal object and return what the parser made of it."""
    (signal,) = signals_of(state_with(item))
    return signal


def error_with(*items: Any) -> VehicleError:
    """Parse a VEHICLE_ERROR carrying the given error items."""
    event = parse(
        envelope("VEHICLE_ERROR", data={"vehicle": {"id": VEHICLE_ID}, "errors": list(items)})
    )
    assert isinstance(event, VehicleError)
    return event


# --- Fixture files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_fixture_body_loads_with_everything_an_event_reads(name: str) -> None:
    assert load_object(raw(name)) == json.loads(raw(name))


def test_ev_fixture_in_observed_wire_shape() -> None:
    event = parse_event(load_object(raw("vehicle_state_ev_signal_update.json")))
    assert isinstance(event, VehicleState)
    assert event.event_id == "3f9a1c52-8e4d-4b17-a6c0-5d2e8f1b7a94"
    assert event.vehicle == VehicleInfo(id=VEHICLE_ID, make="KIA", model="EV6", year=2023)
    assert event.delivered_at == 1766996102035
    assert event.mode == "LIVE"
    assert len(signals_of(event)) == 26
    assert event.triggers == (
        Trigger(type="SIGNAL_UPDATED", signal="tractionbattery-stateofcharge"),
        Trigger(type="SIGNAL_UPDATED", signal="charge-energyadded"),
    )
    assert not first_delivery(event)
    signals = {signal.code: signal for signal in signals_of(event)}
    charge = signals["tractionbattery-stateofcharge"]
    assert charge.body == {"value": 63, "unit": "percent"}
    assert charge.error is None
    assert charge.oem_updated_at == 1766995980000
    assert charge.retrieved_at == 1766996101452
    assert signals["climate-externaltemperature"].error == SignalError(
        type="COMPATIBILITY", code="VEHICLE_NOT_CAPABLE"
    )
    assert signals["climate-externaltemperature"].body is None
    assert signals["hvac-iscabinhvacactive"].error == SignalError(type="PERMISSION", code=None)
    errors = [signal.code for signal in signals_of(event) if signal.error is not None]
    assert errors == ["climate-externaltemperature", "hvac-iscabinhvacactive"]


def test_first_delivery_fixture_in_documented_shape() -> None:
    event = parse_event(load_object(raw("vehicle_state_first_delivery.json")))
    assert isinstance(event, VehicleState)
    assert first_delivery(event)
    assert event.triggers == (Trigger(type=FIRST_DELIVERY, signal=None),)
    assert event.vehicle.id == VEHICLE_ID
    assert len(signals_of(event)) == 6
    soc = signals_of(event)[0]
    assert soc.code == "tractionbattery-stateofcharge"
    assert soc.error is None  # status SUCCESS is not an error
    assert soc.body == {"unit": "percent", "value": 48}
    assert soc.retrieved_at == 1766930402500  # read from fetchedAt
    at_home = signals_of(event)[-1]
    assert at_home.code == "location-isathome"
    assert at_home.error == SignalError(type="COMPATIBILITY", code="VEHICLE_NOT_CAPABLE")
    assert at_home.oem_updated_at is None
    assert at_home.retrieved_at is None


def test_ice_fixture_has_variant_a_triggers() -> None:
    event = parse_event(load_object(raw("vehicle_state_ice.json")))
    assert isinstance(event, VehicleState)
    assert event.vehicle == VehicleInfo(id=ICE_ID, make="TOYOTA", model="RAV4", year=2022)
    assert event.triggers == (
        Trigger(type="SIGNAL_UPDATED", signal="internalcombustionengine-fuellevel"),
        Trigger(type="SIGNAL_UPDATED", signal="odometer-traveleddistance"),
    )
    assert len(signals_of(event)) == 9
    assert all(signal.error is None for signal in signals_of(event))


@pytest.mark.parametrize(
    "name", ["vehicle_state_ev_signal_update.json", "vehicle_state_first_delivery.json"]
)
def test_signal_count_matches_meta(name: str) -> None:
    event = parse_event(load_object(raw(name)))
    assert isinstance(event, VehicleState)
    assert len(signals_of(event)) == json.loads(raw(name))["meta"]["signalCount"]


def test_vehicle_error_fixture() -> None:
    event = parse_event(load_object(raw("vehicle_error.json")))
    assert isinstance(event, VehicleError)
    assert event.event_id == "4c6e8a0b-2d4f-4a6c-8e0a-b2d4f6a8c0e2"
    assert event.vehicle.make == "KIA"
    account, compatibility = event.errors
    assert (account.type, account.code, account.state) == (
        "CONNECTED_SERVICES_ACCOUNT",
        "AUTHENTICATION_FAILED",
        "ERROR",
    )
    assert account.resolution == "REAUTHENTICATE"
    assert account.suggested_user_message == "Please reconnect your car to keep receiving updates."
    assert account.doc_url is not None
    assert account.doc_url.startswith("https://smartcar.com/docs/")
    assert account.description is not None
    assert account.signals == ("tractionbattery-stateofcharge", "location-preciselocation")
    assert not account.resolved
    assert compatibility.resolution is None  # "resolution": {"type": null}
    assert compatibility.signals == ("climate-externaltemperature",)


def test_vehicle_error_resolved_fixture() -> None:
    event = parse_event(load_object(raw("vehicle_error_resolved.json")))
    assert isinstance(event, VehicleError)
    (item,) = event.errors
    assert item.resolved
    assert (item.type, item.code) == ("VEHICLE_STATE", "UNREACHABLE")
    assert item.suggested_user_message is None
    assert item.doc_url is None
    assert item.resolution is None
    assert item.signals == ("location-preciselocation",)


# --- Bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"", "body is not JSON", id="empty"),
        pytest.param(b"not json", "body is not JSON", id="text"),
        pytest.param(b'{"eventType": ', "body is not JSON", id="truncated"),
        pytest.param(b"\xff\xfe{}", "body is not JSON", id="not-utf8"),
        pytest.param(b'[{"eventType": "VERIFY"}]', "body is not a JSON object", id="array"),
        pytest.param(b'"VERIFY"', "body is not a JSON object", id="string"),
        pytest.param(b"42", "body is not a JSON object", id="number"),
        pytest.param(b"null", "body is not a JSON object", id="null"),
    ],
)
def test_load_object_refuses_anything_but_an_object(body: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_object(body)
    assert caught.value.reason == reason
    assert str(caught.value) == reason


def test_protocol_error_is_a_value_error() -> None:
    assert issubclass(ProtocolError, ValueError)


# --- Envelope --------------------------------------------------------------------------


def test_vehicle_id_from_data_vehicle() -> None:
    event = parse(envelope(data={"vehicle": {"id": "inner"}}, vehicleId="outer"))
    assert isinstance(event, VehicleState)
    assert event.vehicle.id == "inner"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no-vehicle"),
        pytest.param({"vehicle": {}}, id="vehicle-without-id"),
        pytest.param({"vehicle": {"id": ""}}, id="empty-id"),
        pytest.param({"vehicle": {"id": 42}}, id="numeric-id"),
        pytest.param({"vehicle": "abc"}, id="vehicle-not-object"),
    ],
)
def test_vehicle_id_falls_back_to_top_level_vehicle_id(data: dict[str, Any]) -> None:
    event = parse(envelope(data=data, vehicleId="outer"))
    assert isinstance(event, VehicleState)
    assert event.vehicle == VehicleInfo(id="outer", make=None, model=None, year=None)


@pytest.mark.parametrize("event_type", ["VEHICLE_STATE", "VEHICLE_ERROR"])
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="none"),
        pytest.param({"vehicleId": ""}, id="empty"),
        pytest.param({"vehicleId": None}, id="null"),
        pytest.param({"vehicleId": 7}, id="number"),
    ],
)
def test_event_without_vehicle_id_is_a_protocol_error(
    event_type: str, extra: dict[str, Any]
) -> None:
    with pytest.raises(ProtocolError, match="without a vehicle id") as caught:
        parse(envelope(event_type, data={"vehicle": {"make": "KIA"}}, **extra))
    assert caught.value.reason == "event without a vehicle id"


@pytest.mark.parametrize("event_type", ["VEHICLE_STATE", "VEHICLE_ERROR"])
def test_missing_data_object_is_a_protocol_error(event_type: str) -> None:
    document = envelope(event_type)
    document["data"] = None
    with pytest.raises(ProtocolError):
        parse(document)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, 2023),
        ("2023", None),
        (True, None),
        (None, None),
        (2023.0, None),
        (1899, None),
        (2**64, None),  # it would make every later save fail
    ],
)
def test_vehicle_year_is_an_integer_or_nothing(year: Any, expected: int | None) -> None:
    event = parse(envelope(data={"vehicle": {"id": VEHICLE_ID, "year": year}}))
    assert isinstance(event, VehicleState)
    assert event.vehicle.year == expected


def test_texts_longer_than_a_state_name_nothing() -> None:
    """A make, model or event id over 255 characters is none; a vehicle id is refused."""
    event = parse(
        envelope(
            eventId="e" * 256,
            data={"vehicle": {"id": VEHICLE_ID, "make": "K" * 256, "model": "EV6"}},
        )
    )
    assert isinstance(event, VehicleState)
    assert (event.event_id, event.vehicle.make, event.vehicle.model) == (None, None, "EV6")
    with pytest.raises(ProtocolError, match="vehicle id too long"):
        parse(envelope(data={"vehicle": {"id": "v" * 256}}))


def test_vehicle_make_and_model_must_be_text() -> None:
    event = parse(envelope(data={"vehicle": {"id": VEHICLE_ID, "make": 5, "model": ""}}))
    assert isinstance(event, VehicleState)
    assert event.vehicle.make is None
    assert event.vehicle.model is None


@pytest.mark.parametrize(
    ("delivered_at", "expected"),
    [
        pytest.param(1766996102035, 1766996102035, id="int-ms"),
        pytest.param(ISO_DELIVERED, ISO_DELIVERED_MS, id="iso-z"),
        pytest.param("2025-12-29T09:15:02.117+01:00", ISO_DELIVERED_MS, id="iso-offset"),
        pytest.param(1766996102035.9, 1766996102035, id="float"),
        pytest.param(0, None, id="zero-is-unknown"),
        pytest.param(None, None, id="null"),
        pytest.param("", None, id="empty-string"),
        pytest.param("yesterday", None, id="not-a-date"),
        pytest.param(True, None, id="bool"),
        pytest.param([1], None, id="list"),
    ],
)
def test_delivered_at_as_int_or_iso_string(delivered_at: Any, expected: int | None) -> None:
    event = parse(envelope(meta={"deliveredAt": delivered_at}))
    assert isinstance(event, VehicleState)
    assert event.delivered_at == expected


@pytest.mark.parametrize(
    "meta",
    [
        pytest.param({"mode": "TEST"}, id="test"),
        pytest.param({"mode": "LIVE"}, id="live"),
        pytest.param({"mode": "SIMULATED"}, id="simulated"),
    ],
)
def test_mode_is_kept(meta: dict[str, Any]) -> None:
    for event_type in ("VEHICLE_STATE", "VEHICLE_ERROR"):
        event = parse(envelope(event_type, meta=meta))
        assert event.mode == meta["mode"]


@pytest.mark.parametrize("meta", [None, "LIVE", [], {}])
def test_missing_or_malformed_meta_is_tolerated(meta: Any) -> None:
    document = envelope()
    document["meta"] = meta
    event = parse(document)
    assert isinstance(event, VehicleState)
    assert event.mode is None
    assert event.delivered_at is None


@pytest.mark.parametrize(
    "event_type",
    [
        pytest.param("VEHICLE_COMMAND", id="new-type"),
        pytest.param("vehicle_state", id="wrong-case"),
        pytest.param(None, id="missing"),
        pytest.param(3, id="number"),
        pytest.param("VERIFY", id="verify-reaching-the-event-parser"),
    ],
)
def test_unknown_event_type_is_an_unknown_event(event_type: Any) -> None:
    document = envelope(data={}, meta={"mode": "TEST"})
    document["eventType"] = event_type
    assert parse(document) == UnknownEvent()


def test_unknown_event_needs_no_vehicle() -> None:
    assert parse({"eventType": "SOMETHING"}) == UnknownEvent()


def test_unknown_envelope_fields_are_ignored() -> None:
    document = envelope(
        data={
            "vehicle": {"id": VEHICLE_ID, "vin": "WVW123", "colour": "red"},
            "user": {"id": "user-1", "email": "x@example.com"},
            "signals": [{"code": "odometer-traveleddistance", "body": {"value": 1}}],
            "somethingNew": {"a": 1},
        },
        meta={"deliveredAt": NOW, "deliveryTime": 9, "signalCount": 1, "version": "4.0"},
        somethingElse=[1, 2, 3],
    )
    event = parse(document)
    assert isinstance(event, VehicleState)
    assert event.delivered_at == NOW
    assert [signal.code for signal in signals_of(event)] == ["odometer-traveleddistance"]


def test_event_id_missing_is_none() -> None:
    document = envelope()
    del document["eventId"]
    event = parse(document)
    assert event.event_id is None


# --- Triggers --------------------------------------------------------------------------


def triggers_of(document: dict[str, Any]) -> tuple[Trigger, ...]:
    """The triggers the parser reads from a VEHICLE_STATE document."""
    event = parse(document)
    assert isinstance(event, VehicleState)
    return event.triggers


def in_data(*triggers: Any) -> dict[str, Any]:
    """A VEHICLE_STATE with ``data.triggers`` (variant A's place)."""
    return envelope(data={"vehicle": {"id": VEHICLE_ID}, "triggers": list(triggers)})


def at_top(*triggers: Any) -> dict[str, Any]:
    """A VEHICLE_STATE with top-level ``triggers`` (variants B and C)."""
    return envelope(triggers=list(triggers))


@pytest.mark.parametrize(
    ("document", "expected", "first"),
    [
        pytest.param(
            in_data(
                {
                    "code": "tractionbattery-stateofcharge",
                    "name": "StateOfCharge",
                    "group": "TractionBattery",
                }
            ),
            (Trigger("SIGNAL_UPDATED", "tractionbattery-stateofcharge"),),
            False,
            id="A",
        ),
        pytest.param(
            in_data({"code": "Charge-IsCharging"}),
            (Trigger("SIGNAL_UPDATED", "charge-ischarging"),),
            False,
            id="A-code-lowercased",
        ),
        pytest.param(
            in_data({"code": "FIRST_DELIVERY"}),
            (Trigger(FIRST_DELIVERY, None),),
            True,
            id="A-first",
        ),
        pytest.param(
            at_top(
                {
                    "type": "SIGNAL_UPDATED",
                    "signal": {"code": "charge-energyadded", "name": "EnergyAdded"},
                }
            ),
            (Trigger("SIGNAL_UPDATED", "charge-energyadded"),),
            False,
            id="B",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED", "signal": {"group": "Charge", "name": "Wattage"}}),
            (Trigger("SIGNAL_UPDATED", "charge-wattage"),),
            False,
            id="B-group-and-name-only",
        ),
        pytest.param(
            at_top({"type": "FIRST_DELIVERY"}),
            (Trigger(FIRST_DELIVERY, None),),
            True,
            id="B-first",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED", "signal": "Odometer.TraveledDistance"}),
            (Trigger("SIGNAL_UPDATED", "odometer-traveleddistance"),),
            False,
            id="C",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED", "signal": "closure-islocked"}),
            (Trigger("SIGNAL_UPDATED", "closure-islocked"),),
            False,
            id="C-plain-code",
        ),
        pytest.param(
            at_top({"signal": "Charge.IsCharging"}),
            (Trigger("SIGNAL_UPDATED", "charge-ischarging"),),
            False,
            id="C-without-type",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED"}),
            (Trigger("SIGNAL_UPDATED", None),),
            False,
            id="type-without-signal",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED", "signal": ""}),
            (Trigger("SIGNAL_UPDATED", None),),
            False,
            id="empty-signal-string",
        ),
        pytest.param(
            at_top({"type": "SIGNAL_UPDATED", "signal": {"name": "Orphan"}}),
            (Trigger("SIGNAL_UPDATED", None),),
            False,
            id="signal-object-without-code",
        ),
        pytest.param(
            at_top(
                {"type": "SIGNAL_UPDATED", "signal": "Charge.IsCharging"},
                {"type": "FIRST_DELIVERY"},
            ),
            (Trigger("SIGNAL_UPDATED", "charge-ischarging"), Trigger(FIRST_DELIVERY, None)),
            True,
            id="first-among-several",
        ),
        pytest.param(
            at_top("Charge.IsCharging", None, 3, {"type": "SIGNAL_UPDATED", "signal": 5}),
            (Trigger("SIGNAL_UPDATED", None),),
            False,
            id="non-objects-skipped",
        ),
        pytest.param(envelope(), (), False, id="no-triggers"),
    ],
)
def test_trigger_shapes(
    document: dict[str, Any], expected: tuple[Trigger, ...], first: bool
) -> None:
    event = parse(document)
    assert isinstance(event, VehicleState)
    assert event.triggers == expected
    assert first_delivery(event) is first


def test_top_level_triggers_win_over_data_triggers() -> None:
    document = in_data({"code": "FIRST_DELIVERY"})
    document["triggers"] = [{"type": "SIGNAL_UPDATED", "signal": "Charge.IsCharging"}]
    assert triggers_of(document) == (Trigger("SIGNAL_UPDATED", "charge-ischarging"),)


def test_triggers_not_a_list_are_ignored() -> None:
    assert triggers_of(at_top()) == ()
    document = envelope(triggers={"type": "FIRST_DELIVERY"})
    assert triggers_of(document) == ()


# --- Signals ---------------------------------------------------------------------------


def test_signal_with_retrieved_at() -> None:
    signal = only_signal(
        {
            "code": "odometer-traveleddistance",
            "body": {"value": 1, "unit": "km"},
            "meta": {"oemUpdatedAt": NOW + 1000, "retrievedAt": NOW + 2000},
        }
    )
    assert (signal.oem_updated_at, signal.retrieved_at) == (NOW + 1000, NOW + 2000)


def test_signal_with_fetched_at() -> None:
    signal = only_signal(
        {
            "code": "odometer-traveleddistance",
            "body": {"value": 1, "unit": "km"},
            "meta": {"oemUpdatedAt": NOW + 1000, "fetchedAt": NOW + 3000},
        }
    )
    assert (signal.oem_updated_at, signal.retrieved_at) == (NOW + 1000, NOW + 3000)


def test_retrieved_at_wins_over_fetched_at() -> None:
    signal = only_signal(
        {"code": "x-y", "body": {}, "meta": {"retrievedAt": NOW + 2000, "fetchedAt": NOW + 3000}}
    )
    assert signal.retrieved_at == NOW + 2000


@pytest.mark.parametrize(
    "meta",
    [
        pytest.param({"oemUpdatedAt": 0, "retrievedAt": 0}, id="zeros-on-static-attributes"),
        pytest.param({}, id="empty"),
        pytest.param(None, id="null"),
        pytest.param("soon", id="not-an-object"),
    ],
)
def test_unknown_signal_timestamps_are_none(meta: Any) -> None:
    signal = only_signal(
        {"code": "vehicleidentification-vin", "body": {"value": "X"}, "meta": meta}
    )
    assert signal.oem_updated_at is None
    assert signal.retrieved_at is None
    assert signal.body == {"value": "X"}


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(None, id="absent"),
        pytest.param({"value": "SUCCESS"}, id="success"),
        pytest.param({}, id="empty"),
        pytest.param("SUCCESS", id="status-as-string"),
    ],
)
def test_successful_signal_status_variants(status: Any) -> None:
    item: dict[str, Any] = {"code": "charge-ischarging", "body": {"value": True}}
    if status is not None:
        item["status"] = status
    signal = only_signal(item)
    assert signal.error is None
    assert signal.body == {"value": True}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(
            {"value": "ERROR", "error": {"type": "COMPATIBILITY", "code": "VEHICLE_NOT_CAPABLE"}},
            SignalError("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"),
            id="compatibility",
        ),
        pytest.param(
            {"value": "ERROR", "error": {"type": "PERMISSION", "code": None}},
            SignalError("PERMISSION", None),
            id="permission-null-code",
        ),
        pytest.param(
            {"value": "ERROR", "error": {"type": "SERVER", "code": "INTERNAL"}},
            SignalError("SERVER", "INTERNAL"),
            id="server",
        ),
        pytest.param({"value": "ERROR"}, SignalError("ERROR", None), id="error-without-details"),
        pytest.param({"value": "UNAVAILABLE"}, SignalError("UNAVAILABLE", None), id="unavailable"),
    ],
)
def test_error_status_drops_any_body(status: dict[str, Any], expected: SignalError) -> None:
    signal = only_signal({"code": "charge-ischarging", "status": status, "body": {"value": True}})
    assert signal.error == expected
    assert signal.body is None


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"code": "location-isathome"}, id="no-body-no-status"),
        pytest.param({"code": "location-isathome", "body": None}, id="null-body"),
        pytest.param({"code": "location-isathome", "body": 5}, id="scalar-body"),
        pytest.param({"code": "location-isathome", "body": [1]}, id="list-body"),
        pytest.param(
            {"code": "location-isathome", "status": {"value": "SUCCESS"}},
            id="success-without-body",
        ),
    ],
)
def test_signal_without_a_body_is_unavailable(item: dict[str, Any]) -> None:
    signal = only_signal(item)
    assert signal.body is None
    assert signal.error == SignalError(type="UNAVAILABLE", code=None)


def test_null_value_inside_body_is_kept() -> None:
    signal = only_signal({"code": "closure-sunroof", "body": {"isOpen": None}})
    assert signal.error is None
    assert signal.body == {"isOpen": None}


def test_signal_code_from_group_and_name_when_code_missing() -> None:
    signal = only_signal({"group": "TractionBattery", "name": "StateOfCharge", "body": {}})
    assert signal.code == "tractionbattery-stateofcharge"


def test_signal_code_is_lowercased() -> None:
    assert only_signal({"code": "Charge-IsCharging", "body": {}}).code == "charge-ischarging"


def test_signal_code_helper() -> None:
    assert signal_code("TractionBattery", "StateOfCharge") == "tractionbattery-stateofcharge"


def test_unknown_signals_and_fields_are_kept() -> None:
    event = state_with(
        {
            "code": "futuregroup-brandnewsignal",
            "name": "BrandNewSignal",
            "group": "FutureGroup",
            "body": {"value": 3, "unit": "furlongs", "extra": {"nested": True}},
            "meta": {"oemUpdatedAt": NOW + 10, "retrievedAt": NOW + 20, "somethingNew": 1},
            "unexpected": "ignored",
        },
    )
    (signal,) = signals_of(event)
    assert signal == Signal(
        code="futuregroup-brandnewsignal",
        body={"value": 3, "unit": "furlongs", "extra": {"nested": True}},
        error=None,
        oem_updated_at=NOW + 10,
        retrieved_at=NOW + 20,
    )


def test_signals_without_any_code_or_not_objects_are_skipped() -> None:
    event = state_with(
        {"name": "NoGroup", "body": {}},
        {"group": "NoName", "body": {}},
        {"code": "", "body": {}},
        "charge-ischarging",
        None,
        7,
        {"code": "charge-ischarging", "body": {"value": False}},
    )
    assert [signal.code for signal in signals_of(event)] == ["charge-ischarging"]


@pytest.mark.parametrize("signals", [None, {}, "x", {"charge-ischarging": {"value": True}}])
def test_signals_not_a_list_means_no_signals(signals: Any) -> None:
    event = parse(envelope(data={"vehicle": {"id": VEHICLE_ID}, "signals": signals}))
    assert isinstance(event, VehicleState)
    assert signals_of(event) == ()


@pytest.mark.parametrize(
    "misshapen",
    [
        pytest.param(7, id="signal-not-an-object"),
        pytest.param({"code": "charge-ischarging", "meta": [1]}, id="meta-not-an-object"),
        pytest.param({"code": ["x"], "body": {"value": 1}}, id="code-not-text"),
    ],
)
@pytest.mark.parametrize(
    "name", ["vehicle_state_ev_signal_update.json", "vehicle_state_first_delivery.json"]
)
def test_one_misshapen_signal_leaves_the_others_read_exactly_alike(
    name: str, misshapen: Any
) -> None:
    """A misshapen signal object is skipped or read as it is: the others read alike."""
    document = json.loads(raw(name))
    document["data"]["signals"].insert(1, misshapen)
    event = parse(document)
    expected = parse_event(load_object(raw(name)))
    assert isinstance(event, VehicleState)
    assert isinstance(expected, VehicleState)
    kept = [signal for signal in signals_of(event) if signal.code != "charge-ischarging"]
    assert kept == [signal for signal in signals_of(expected) if signal.code != "charge-ischarging"]
    assert (event.vehicle, event.triggers, event.delivered_at) == (
        expected.vehicle,
        expected.triggers,
        expected.delivered_at,
    )


def test_number_beyond_a_double_outside_signals_is_not_json() -> None:
    with pytest.raises(ProtocolError, match="body is not JSON"):
        load_object(b'{"eventType": "VEHICLE_STATE", "meta": {"deliveredAt": 1e400}}')


def test_signal_whose_body_holds_a_number_beyond_a_double_is_skipped() -> None:
    body = json.dumps(envelope(data={"vehicle": {"id": VEHICLE_ID}, "signals": ["HUGE", "OK"]}))
    body = body.replace(
        '"HUGE"', '{"code": "odometer-traveleddistance", "body": {"value": -1e400}}'
    )
    body = body.replace('"OK"', '{"code": "charge-ischarging", "body": {"value": true}}')
    event = parse_event(load_object(body.encode()))
    assert isinstance(event, VehicleState)
    assert [signal.code for signal in signals_of(event)] == ["charge-ischarging"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'{"data": {"signals": [{"code": "x-y", "meta": {"oemUpdatedAt": 1e400}}]}}', id="meta"
        ),
        pytest.param(
            b'{"data": {"signals": [{"code": "x-y"}]}, "extra": [1, {"a": -1e999}]}', id="nested"
        ),
        pytest.param(b"[1e400]", id="array"),
        pytest.param(
            b'{"data": {"signals": [{"body": {"value": 1%s}}]}}' % (b"0" * 5000), id="long-int"
        ),
    ],
)
def test_number_beyond_a_double_anywhere_but_a_signal_body_is_not_json(body: bytes) -> None:
    with pytest.raises(ProtocolError, match="body is not JSON"):
        load_object(body)


@pytest.mark.parametrize("beyond", [b"1", b"1e400"])
def test_body_nested_as_deep_as_the_size_cap_allows_is_refused(beyond: bytes) -> None:
    depth = 32_000  # 64 KiB of brackets
    body = b'{"a": ' + b"[" * depth + beyond + b"]" * depth + b"}"
    with pytest.raises(ProtocolError, match="nested too deeply"):
        load_object(body)


def test_body_nested_too_deeply_after_a_number_beyond_a_double_is_refused() -> None:
    body = b'{"a": [1e400, ' + b"[" * 32_000 + b"]" * 32_000 + b"]}"
    with pytest.raises(ProtocolError, match="nested too deeply"):
        load_object(body)


def test_number_beyond_a_double_in_a_deeply_nested_body_is_found() -> None:
    body = b'{"a": ' + b"[" * 3000 + b"1e400" + b"]" * 3000 + b"}"
    with pytest.raises(ProtocolError, match="body is not JSON"):
        load_object(body)


def test_number_beyond_a_double_deep_in_a_signal_body_skips_only_that_signal() -> None:
    body = (
        b'{"eventType": "VEHICLE_STATE", "data": {"vehicle": {"id": "v"}, "signals": ['
        b'{"code": "location-preciselocation", "body": {"path": [[52.3, 1e400]]}},'
        b'{"code": "charge-ischarging", "body": {"value": true},'
        b' "meta": {"oemUpdatedAt": 1767000000000}}]}}'
    )
    event = parse_event(load_object(body))
    assert isinstance(event, VehicleState)
    assert signals_of(event) == (
        Signal("charge-ischarging", {"value": True}, None, oem_updated_at=NOW, retrieved_at=None),
    )


def test_big_integer_in_a_body_is_kept_exactly() -> None:
    (signal,) = signals_of(state_with({"code": "x-y", "body": {"value": 2**70}}))
    assert signal.body == {"value": 2**70}


# --- VEHICLE_ERROR ---------------------------------------------------------------------


def full_error(**overrides: Any) -> dict[str, Any]:
    """One VEHICLE_ERROR item with every documented field."""
    item: dict[str, Any] = {
        "type": "PERMISSION",
        "code": None,
        "state": "ERROR",
        "description": "Permission missing",
        "suggestedUserMessage": "Reconnect",
        "docURL": "https://example.com/doc",
        "resolution": {"type": "REAUTHENTICATE"},
        "signals": [{"code": "charge-ischarging", "name": "IsCharging", "group": "Charge"}],
    }
    item.update(overrides)
    return item


def test_vehicle_error_with_signal_objects() -> None:
    (item,) = error_with(
        full_error(
            signals=[
                {"code": "charge-ischarging"},
                {"group": "TractionBattery", "name": "StateOfCharge"},
                {"name": "NoGroup"},
            ]
        )
    ).errors
    assert item.signals == ("charge-ischarging", "tractionbattery-stateofcharge")
    assert item.type == "PERMISSION"
    assert item.code is None
    assert item.resolution == "REAUTHENTICATE"


def test_vehicle_error_with_dotted_signal_strings() -> None:
    (item,) = error_with(
        full_error(signals=["VehicleUserAccount.Role", "charge-ischarging", "", 5, None])
    ).errors
    assert item.signals == ("vehicleuseraccount-role", "charge-ischarging")


@pytest.mark.parametrize("signals", [None, "x", {}, []])
def test_vehicle_error_without_signals_covers_the_vehicle(signals: Any) -> None:
    overrides: dict[str, Any] = {"signals": signals}
    item = full_error(**overrides)
    if signals is None:
        del item["signals"]
    (parsed,) = error_with(item).errors
    assert parsed.signals == ()


@pytest.mark.parametrize(
    "resolution",
    [
        pytest.param(None, id="null"),
        pytest.param({"type": None}, id="type-null"),
        pytest.param({}, id="empty"),
        pytest.param("REAUTHENTICATE", id="string-not-object"),
    ],
)
def test_vehicle_error_without_resolution_type(resolution: Any) -> None:
    (item,) = error_with(full_error(resolution=resolution)).errors
    assert item.resolution is None


def test_vehicle_error_resolved_state() -> None:
    item = {"type": "VEHICLE_STATE", "code": "ASLEEP", "state": "RESOLVED"}
    (parsed,) = error_with(item).errors
    assert parsed.resolved
    assert parsed.description is None
    assert parsed.suggested_user_message is None
    assert parsed.doc_url is None
    assert parsed.resolution is None
    assert parsed.signals == ()


@pytest.mark.parametrize("state", ["ERROR", None, "resolved", "OPEN"])
def test_vehicle_error_not_resolved_unless_state_is_resolved(state: Any) -> None:
    (parsed,) = error_with(full_error(state=state)).errors
    assert not parsed.resolved


def test_vehicle_error_items_that_are_not_objects_are_skipped() -> None:
    event = error_with("ERROR", None, full_error(), 4)
    assert len(event.errors) == 1


@pytest.mark.parametrize("errors", [None, {}, "x"])
def test_vehicle_error_without_error_list(errors: Any) -> None:
    event = parse(envelope("VEHICLE_ERROR", data={"vehicle": {"id": VEHICLE_ID}, "errors": errors}))
    assert isinstance(event, VehicleError)
    assert event.errors == ()


def test_vehicle_error_envelope_fields() -> None:
    event = parse(
        envelope(
            "VEHICLE_ERROR",
            data={"user": {"id": "u"}, "errors": []},
            meta={"deliveredAt": ISO_DELIVERED, "mode": "TEST"},
            vehicleId="top-level",
        )
    )
    assert event == VehicleError(
        event_id="event-1",
        vehicle=VehicleInfo(id="top-level", make=None, model=None, year=None),
        errors=(),
        mode="TEST",
    )
