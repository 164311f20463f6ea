"""The signal catalog: one entry per Smartcar signal this integration knows.

Plain Python with no Home Assistant imports, and the only module that writes a signal code.
An entry says what the signal needs (its Connect permission), its documented default unit
(which gives the unit family), and what it becomes: sensors, binary sensors, the device
tracker, controls that act on the car, automation transitions, a field of the vehicle's
device (signal_spec.py says what an entry holds). Platforms, transitions, diagnostics,
Connect's scopes and the README's entity tables all read it, so adding a signal is one
entry here plus its strings (translations/en.json, icons.json).
"""

from __future__ import annotations

from typing import Final

from .api_commands import CHARGE_LIMIT_PERCENT_RANGE, VehicleCommand
from .roles import (
    POSITIONS,
    Choice,
    Flag,
    LockControl,
    Moment,
    Number,
    NumberControl,
    Position,
    Statistics,
    SwitchControl,
    Text,
    all_closed,
    became,
    is_alert,
    is_false,
    one_more_open,
    open_by_position,
    opening,
    unlocked,
)
from .signal_spec import DeviceField, SignalSpec, true_or_false
from .signals import Read, charge_complete_at

# What an entry is (signal_spec.py) comes with the entries, for the platforms that read both.
__all__ = [
    "BY_CODE",
    "DEVICE_FIELDS",
    "DIAGNOSTIC_SYSTEMS",
    "PERMISSIONS",
    "PRIVATE_SIGNALS",
    "SIGNALS",
    "VIN_SIGNAL",
    "DeviceField",
    "SignalSpec",
]

MEASURED: Final = Statistics.MEASUREMENT
TOTAL: Final = Statistics.TOTAL_INCREASING
# How far a full battery or tank can take a car, in km.
RANGE: Final = (0, 3000)

# Smartcar's diagnostics-* systems, each reporting {"status": "OK" | "ALERT"}.
DIAGNOSTIC_SYSTEMS: Final = (  # noqa: SIM905 (21 names; a line each would fill a page)
    "abs activesafety airbag brakefluid driverassistance evbatteryconditioning evcharging "
    "evdriveunit evhvbattery emissions lighting mil oillife oilpressure oiltemperature "
    "telematics tirepressure tirepressuremonitoring transmission washerfluid waterinfuel"
).split()


# Each door's own lock: a car reports a door unlocked while the others are locked.
DOOR_LOCKS: Final = tuple(
    unlocked(f"door_{name}_lock", row, column) for name, row, column in POSITIONS
)


def _diagnostic_system(system: str) -> SignalSpec:
    """One of the 21 diagnostics-* systems: a problem flag, disabled until wanted."""
    alert = Flag(
        f"diagnostic_{system}",
        "problem",
        read=Read("status"),
        on=is_alert,
        diagnostic=True,
        enabled=False,
    )
    return SignalSpec(f"diagnostics-{system}", flags=(alert,))


SIGNALS: Final[tuple[SignalSpec, ...]] = (
    # Traction battery
    SignalSpec(
        "tractionbattery-stateofcharge",
        "%",
        sensors=(Number("battery_level", "battery", precision=0, statistics=MEASURED),),
    ),
    SignalSpec(
        "tractionbattery-range",
        "km",
        sensors=(Number("range", "distance", precision=0, statistics=MEASURED, plausible=RANGE),),
    ),
    SignalSpec(
        "tractionbattery-nominalcapacity",
        "kWh",
        sensors=(
            Number("nominal_capacity", "energy_storage", read=Read("capacity"), diagnostic=True),
        ),
    ),
    SignalSpec(
        "tractionbattery-maxrangechargecounter",
        "",
        sensors=(Number("max_range_charge_counter", diagnostic=True, enabled=False),),
    ),
    SignalSpec(
        "tractionbattery-isheateractive",
        flags=(Flag("battery_heater", "running", diagnostic=True),),
    ),
    # Charging
    true_or_false(
        "charge-ischargingcableconnected", Flag("plugged_in", "plug"), "plugged_in", "unplugged"
    ),
    true_or_false(
        "charge-ischarging",
        Flag("charging", "battery_charging"),
        "charging_started",
        "charging_stopped",
        controls=(
            SwitchControl(
                "charging",
                VehicleCommand.START_CHARGE,
                VehicleCommand.STOP_CHARGE,
                replaces="charging",
            ),
        ),
    ),
    SignalSpec(
        "charge-detailedchargingstatus",
        sensors=(Choice("charging_status", ("charging", "not_charging", "fully_charged")),),
        transitions=(became("charge_complete", "FULLY_CHARGED"),),
    ),
    SignalSpec("charge-ischargingcablelatched", flags=(Flag("cable_latched", diagnostic=True),)),
    SignalSpec(
        "charge-ischargingportflapopen",
        flags=(Flag("charge_port_open", "opening"),),
        controls=(
            SwitchControl(
                "charge_port",
                VehicleCommand.OPEN_CHARGE_PORT,
                VehicleCommand.CLOSE_CHARGE_PORT,
                replaces="charge_port_open",
            ),
        ),
    ),
    SignalSpec(
        "charge-isfastchargerpresent", flags=(Flag("fast_charger_present", diagnostic=True),)
    ),
    SignalSpec(
        "charge-chargelimits",
        "%",
        sensors=(Number("charge_limit", read=Read("activeLimit"), precision=0),),
        controls=(
            NumberControl(
                "charge_limit",
                VehicleCommand.SET_CHARGE_LIMIT,
                CHARGE_LIMIT_PERCENT_RANGE,
                read=Read("activeLimit"),
                replaces="charge_limit",
            ),
        ),
    ),
    SignalSpec(
        "charge-timetocomplete",
        "min",
        sensors=(
            Number("time_to_complete", "duration", precision=0),
            Moment("charge_complete_at", charge_complete_at),
        ),
    ),
    SignalSpec("charge-wattage", "W", sensors=(Number("charging_power", "power", precision=0),)),
    SignalSpec(
        "charge-voltage", "V", sensors=(Number("charging_voltage", "voltage", precision=0),)
    ),
    SignalSpec(
        "charge-amperage", "A", sensors=(Number("charging_current", "current", precision=1),)
    ),
    SignalSpec(
        "charge-amperagemax",
        "A",
        sensors=(Number("charging_current_max", "current", diagnostic=True),),
    ),
    SignalSpec(
        "charge-amperagerequested",
        "A",
        sensors=(Number("charging_current_requested", "current", diagnostic=True),),
    ),
    SignalSpec(
        "charge-energyadded",
        "kWh",
        sensors=(Number("energy_added", "energy", precision=2, statistics=TOTAL),),
    ),
    SignalSpec("charge-chargerate", "km/h", sensors=(Number("charge_rate", "speed", precision=0),)),
    SignalSpec(
        "charge-chargerphases",
        "",
        sensors=(Number("charger_phases", diagnostic=True, plausible=(0, 3)),),
    ),
    SignalSpec(
        "charge-chargingconnectortype",
        sensors=(Text("charging_connector_type", diagnostic=True, enabled=False),),
    ),
    SignalSpec(
        "charge-fastchargertype",
        sensors=(Text("fast_charger_type", diagnostic=True, enabled=False),),
    ),
    SignalSpec(
        "charge-chargeportstatuscolor",
        sensors=(
            Choice(
                "charge_port_color",
                (
                    *("off", "white", "green", "blue", "orange", "yellow", "red", "purple"),
                    *("flashing_green", "flashing_blue", "flashing_orange", "flashing_red"),
                ),
                diagnostic=True,
                enabled=False,
            ),
        ),
    ),
    # Combustion engine
    SignalSpec(
        "internalcombustionengine-fuellevel",
        "%",
        sensors=(Number("fuel_level", precision=0, statistics=MEASURED),),
    ),
    SignalSpec(
        "internalcombustionengine-amountremaining",
        "L",
        sensors=(Number("fuel_remaining", "volume_storage", precision=1, statistics=MEASURED),),
    ),
    SignalSpec(
        "internalcombustionengine-range",
        "km",
        sensors=(
            Number("fuel_range", "distance", precision=0, statistics=MEASURED, plausible=RANGE),
        ),
    ),
    SignalSpec(
        "internalcombustionengine-oillife",
        "%",
        sensors=(Number("oil_life", precision=0),),
        permissions=("read_engine_oil",),
    ),
    # Driving
    SignalSpec(
        "odometer-traveleddistance",
        "km",
        sensors=(Number("odometer", "distance", precision=0, statistics=TOTAL),),
    ),
    SignalSpec(
        "motion-currentspeed",
        "km/h",
        sensors=(Number("speed", "speed", precision=0, plausible=(-100, 500)),),
    ),
    SignalSpec(
        "transmission-gearstate", sensors=(Choice("gear", ("park", "drive", "reverse", "neutral")),)
    ),
    SignalSpec(
        "transmission-drivemode",
        sensors=(Text("drive_mode", read=Read("canonical"), enabled=False),),
    ),
    # Security and closures
    true_or_false(
        "closure-islocked",
        Flag("lock", "lock", on=is_false),
        "locked",
        "unlocked",
        controls=(
            LockControl("lock", VehicleCommand.LOCK, VehicleCommand.UNLOCK, replaces="lock"),
        ),
    ),
    SignalSpec(
        "closure-doors",
        flags=(*open_by_position("door", "door"), *DOOR_LOCKS),
        transitions=(one_more_open("door_opened"), all_closed("doors_closed")),
    ),
    SignalSpec(
        "closure-reartrunk",
        flags=(opening("trunk"), unlocked("trunk_lock")),
        transitions=(became("trunk_opened", value=True, read=Read("isOpen")),),
    ),
    SignalSpec(
        "closure-windows",
        flags=open_by_position("window", "window"),
        transitions=(one_more_open("window_opened"),),
    ),
    # Its isLocked is often null: a car without a frunk lock shows no frunk lock entity.
    SignalSpec("closure-fronttrunk", flags=(opening("frunk"), unlocked("frunk_lock"))),
    SignalSpec("closure-enginecover", flags=(opening("hood"),)),
    SignalSpec("closure-sunroof", flags=(opening("sunroof", "window"),)),
    SignalSpec("closure-tailgate", flags=(opening("tailgate"),)),
    SignalSpec("surveillance-isenabled", flags=(Flag("surveillance"),)),
    # Location; the heading needs the compass permission.
    SignalSpec(
        "location-preciselocation",
        tracker=Position(
            "location",
            {"heading": "heading", "direction": "direction", "locationType": "location_type"},
        ),
        permissions=("read_location", "read_compass"),
    ),
    true_or_false("location-isathome", Flag("at_home", "presence"), "arrived_home", "left_home"),
    # Tires
    SignalSpec(
        "wheel-tires",
        "kPa",
        sensors=tuple(
            Number(
                f"tire_pressure_{name}",
                "pressure",
                read=Read("tirePressure", row, column),
                precision=1,
                diagnostic=True,
            )
            for name, row, column in POSITIONS
        ),
    ),
    # 12 V battery. Not of device class battery: Home Assistant shows a device's first
    # battery-class entity as its battery badge, and a car's battery is the traction battery.
    SignalSpec(
        "lowvoltagebattery-stateofcharge",
        "%",
        sensors=(Number("low_voltage_battery_level", diagnostic=True),),
    ),
    SignalSpec(
        "lowvoltagebattery-status",
        sensors=(Choice("low_voltage_battery_status", ("good", "warn", "bad"), diagnostic=True),),
    ),
    # Climate
    SignalSpec(
        "climate-externaltemperature",
        "°C",
        sensors=(Number("outside_temperature", "temperature", precision=1, statistics=MEASURED),),
    ),
    SignalSpec(
        "climate-internaltemperature",
        "°C",
        sensors=(Number("cabin_temperature", "temperature", precision=1, statistics=MEASURED),),
    ),
    SignalSpec(
        "hvac-cabintargettemperature",
        "°C",
        sensors=(Number("target_temperature", "temperature", precision=1),),
    ),
    SignalSpec("hvac-iscabinhvacactive", flags=(Flag("cabin_hvac", "running"),)),
    SignalSpec("hvac-isfrontdefrosteractive", flags=(Flag("front_defroster", "running"),)),
    SignalSpec("hvac-isreardefrosteractive", flags=(Flag("rear_defroster", "running"),)),
    SignalSpec("hvac-issteeringheateractive", flags=(Flag("steering_wheel_heater", "running"),)),
    # Connectivity
    SignalSpec(
        "connectivitystatus-isonline", flags=(Flag("online", "connectivity", diagnostic=True),)
    ),
    SignalSpec("connectivitystatus-isasleep", flags=(Flag("asleep", diagnostic=True),)),
    SignalSpec(
        "connectivitystatus-isdigitalkeypaired",
        flags=(Flag("digital_key_paired", diagnostic=True, enabled=False),),
    ),
    SignalSpec(
        "connectivitysoftware-currentfirmwareversion",
        sensors=(Text("firmware_version", diagnostic=True),),
        device_field=DeviceField.SW_VERSION,
    ),
    # Service and diagnostics
    SignalSpec("service-isinservice", flags=(Flag("in_service"),)),
    SignalSpec("diagnostics-dtccount", "", sensors=(Number("dtc_count", diagnostic=True),)),
    *(_diagnostic_system(system) for system in DIAGNOSTIC_SYSTEMS),
    # Identity
    SignalSpec("vehicleidentification-nickname", device_field=DeviceField.NAME, private=True),
    SignalSpec(
        "vehicleidentification-vin",
        device_field=DeviceField.SERIAL_NUMBER,
        private=True,
        permissions=("read_vin",),
    ),
    SignalSpec(
        "vehicleidentification-exteriorcolor",
        sensors=(Text("exterior_color", diagnostic=True, enabled=False),),
    ),
    SignalSpec(
        "vehicleuseraccount-role", sensors=(Text("account_role", diagnostic=True, enabled=False),)
    ),
)

BY_CODE: Final = {spec.code: spec for spec in SIGNALS}
PERMISSIONS: Final = tuple(sorted({permission for spec in SIGNALS for permission in spec.needs}))
DEVICE_FIELDS: Final = {spec.device_field: spec.code for spec in SIGNALS if spec.device_field}
PRIVATE_SIGNALS: Final = frozenset(spec.code for spec in SIGNALS if spec.private)
VIN_SIGNAL: Final = DEVICE_FIELDS[DeviceField.SERIAL_NUMBER]
