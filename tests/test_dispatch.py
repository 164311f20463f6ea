"""Who hears about a change: every listener of the topic, whatever the others do."""

from __future__ import annotations

from custom_components.smartcar.dispatch import Dispatcher

from .conftest import EV_ID

SOC = "tractionbattery-stateofcharge"


def test_a_listener_that_unsubscribes_while_told_skips_no_other() -> None:
    """An entity removed by the change it hears of (a replaced entity): the next still hears."""
    dispatch = Dispatcher()
    heard: list[str] = []

    def first() -> None:
        heard.append("first")
        unsubscribe_first()

    unsubscribe_first = dispatch.subscribe(EV_ID, SOC, first)
    dispatch.subscribe(EV_ID, SOC, lambda: heard.append("second"))
    dispatch.notify(EV_ID, SOC)
    dispatch.notify(EV_ID, SOC)
    assert heard == ["first", "second", "second"]
