"""A body for every signal in the catalog, as Smartcar documents its shape."""

from __future__ import annotations

from typing import Any

from custom_components.smartcar.catalog import DIAGNOSTIC_SYSTEMS


def _grid(field: str, values: list[Any], **extra: Any) -> dict[str, Any]:
    cells = [(0, 0), (0, 1), (1, 0), (1, 1)]
    return {
        "values": [
            {"row": row, "column": column, field: value}
            for (row, column), value in zip(cells, values, strict=True)
        ],
        "rowCount": 2,
        "columnCount": 2,
        **extra,
    }


ALL_SIGNALS: dict[str, dict[str, Any]] = {
    "tractionbattery-stateofcharge": {"value": 81, "unit": "percent"},
    "tractionbattery-range": {"value": 402, "unit": "kilometers", "type": "DEFAULT"},
    "tractionbattery-nominalcapacity": {"capacity": 77.4, "source": "SMARTCAR", "unit": "kWhr"},
    "tractionbattery-maxrangechargecounter": {"value": 12},
    "tractionbattery-isheateractive": {"value": False},
    "charge-ischarging": {"value": True},
    "charge-ischargingcableconnected": {"value": True},
    "charge-ischargingcablelatched": {"value": True},
    "charge-ischargingportflapopen": {"value": True},
    "charge-isfastchargerpresent": {"value": False},
    "charge-detailedchargingstatus": {"value": "CHARGING"},
    "charge-chargelimits": {
        "values": [{"type": "GLOBAL", "limit": 90, "condition": None}],
        "activeLimit": 90,
        "unit": "percent",
    },
    "charge-timetocomplete": {"value": 45, "unit": "minutes"},
    "charge-amperage": {"value": 16, "unit": "amps"},
    "charge-amperagemax": {"value": 32, "unit": "ampere"},
    "charge-amperagerequested": {"value": 16, "unit": "amps"},
    "charge-voltage": {"value": 230, "unit": "volts"},
    "charge-wattage": {"value": 11, "unit": "kilowatts"},
    "charge-energyadded": {"value": 12.5, "unit": "kilowatt_hours"},
    "charge-chargerate": {"value": 62, "unit": "km/h"},
    "charge-chargerphases": {"value": 3, "unit": "count"},
    "charge-chargingconnectortype": {"value": "IEC_62196_TYPE_2"},
    "charge-fastchargertype": {"value": "CCS"},
    "charge-chargeportstatuscolor": {"value": "GREEN"},
    "internalcombustionengine-fuellevel": {"value": 55, "unit": "percent"},
    "internalcombustionengine-amountremaining": {"value": 11.5, "unit": "gallons"},
    "internalcombustionengine-range": {"value": 250, "unit": "miles"},
    "internalcombustionengine-oillife": {"value": 64, "unit": "percentage"},
    "odometer-traveleddistance": {"value": 12345.6, "unit": "km"},
    "motion-currentspeed": {"value": 0, "unit": "kph"},
    "transmission-gearstate": {"value": "PARK"},
    "transmission-drivemode": {"canonical": "NORMAL", "oemDisplayName": "Comfort"},
    "location-preciselocation": {
        "latitude": 52.3702,
        "longitude": 4.8952,
        "heading": 90,
        "direction": "E",
        "locationType": "CURRENT",
    },
    "location-isathome": {"value": True},
    "closure-islocked": {"value": False},
    "closure-doors": {
        **_grid("isOpen", [True, False, False, False]),
    },
    "closure-windows": _grid("isOpen", [False, False, False, False]),
    "closure-reartrunk": {"isOpen": True, "isLocked": False},
    "closure-fronttrunk": {"isOpen": False, "isLocked": None},
    "closure-enginecover": {"isOpen": False},
    "closure-sunroof": {"isOpen": False},
    "closure-tailgate": {"isOpen": False},
    "wheel-tires": _grid("tirePressure", [258, 258, 250, 250], unit="bar"),
    "lowvoltagebattery-stateofcharge": {"value": 88, "unit": "percent"},
    "lowvoltagebattery-status": {"value": "GOOD"},
    "climate-externaltemperature": {"value": 12.5, "unit": "celsius"},
    "climate-internaltemperature": {"value": 68, "unit": "fahrenheit"},
    "hvac-cabintargettemperature": {"value": 21, "unit": "degrees-celsius"},
    "hvac-iscabinhvacactive": {"value": True},
    "hvac-isfrontdefrosteractive": {"value": False},
    "hvac-isreardefrosteractive": {"value": False},
    "hvac-issteeringheateractive": {"value": True},
    "connectivitystatus-isonline": {"value": True},
    "connectivitystatus-isasleep": {"value": False},
    "connectivitystatus-isdigitalkeypaired": {"value": True},
    "connectivitysoftware-currentfirmwareversion": {"value": "2026.20.1"},
    "diagnostics-dtccount": {"value": 1, "unit": "count"},
    **{
        f"diagnostics-{system}": {
            "status": "ALERT" if system == "tirepressure" else "OK",
            "description": None,
        }
        for system in DIAGNOSTIC_SYSTEMS
    },
    "service-isinservice": {"value": False},
    "surveillance-isenabled": {"value": True},
    "vehicleidentification-nickname": {"value": "Blue Thunder"},
    "vehicleidentification-vin": {"value": "KNDC3DLC5N5000000"},
    "vehicleidentification-exteriorcolor": {"value": "Blue"},
    "vehicleuseraccount-role": {"value": "OWNER"},
    # Delivered but not in the catalog: kept, shown nowhere, harmless.
    "surveillance-brand": {"value": "Sentry"},
}
