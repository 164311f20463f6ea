"""In the browser: a user sets Smartcar up in Home Assistant's real frontend and uses it.

One journey on a real server (``e2e.server`` with the real frontend, see conftest.py),
onboarded over REST, in headless Chromium: log in; Settings > Devices & services > Add
integration > Smartcar > Webhook only; an empty, a blank and a malformed token; no public
address until the Network page sets an HTTPS external URL (in a second tab, while the
flow waits); the callback URL with the Dashboard steps; waiting for Smartcar's
verification, which the simulator sends; a scenario creates the car; its device page
(values, units, the battery badge); its device triggers in the automation editor; a
repair for deliveries signed with another token that clears by itself, and again one
fixed through its fix flow; the options (a reporting timeout of 0 is refused) and the
reconfigure dialog. Each step leaves a screenshot (see conftest.py for where).

What the page says is checked against the integration's translations (en.json), so a
changed text changes the expectation with it; the frontend's own texts are Home
Assistant's English ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import json
import math
import re
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import pytest

from e2e import HomeAssistantClient, HomeAssistantError, HomeAssistantServer
from e2e.server import ROOT, minimal_configuration
import simulator
from tests.e2e.conftest import EXTERNAL_URL
from tests.e2e.test_live_server import (
    FULL_SPEED,
    OWNER,
    TOKEN,
    Stopwatch,
    deprecation_reports,
    server_errors,
)

from .conftest import Screenshots

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Response

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(240)]

STRINGS: Final = json.loads(
    (ROOT / "custom_components" / "smartcar" / "translations" / "en.json").read_text("utf-8")
)
FLOW: Final = STRINGS["config"]
# The token Smartcar signs with after the user rotated it in the Dashboard.
ROTATED: Final = "rotated-7d1e0f3a-6b4f-4b2a-90c1-3c1d4e8f9a7b"
SIGNATURE_FAILURES: Final = 5  # in a row, for the repair (const.SIGNATURE_FAILURES_FOR_REPAIR)
FAST_RETRIES: Final = 0.0001  # scales Smartcar's 25/50/100 s retry delays to milliseconds
DEVICE: Final = "Kia EV6"  # the simulator's first car: make (title case) and model
HOME: Final = minimal_configuration(0, EXTERNAL_URL)["homeassistant"]
AWAY_DEGREES: Final = 0.01  # about a kilometre
DEVICE_PAGE_HEIGHT: Final = 1360  # px: the device page down to the Sensors card's last rows
# The device triggers the simulator's signals offer (transitions.offered): every one but
# "Arrived home" and "Left home", which need location-isathome.
TRIGGERS: Final = tuple(
    label
    for kind, label in STRINGS["device_automation"]["trigger_type"].items()
    if kind not in {"arrived_home", "left_home"}
)
# Home Assistant's own text for a required field left empty (the frontend does not send
# the form; the integration never sees an empty token).
REQUIRED_FIELDS: Final = "Not all required fields are filled in."
LIST_OFFSET: Final = 60  # px below a search box: its list
LIST_SCROLL: Final = 10_000  # px: more than any list here
FLOW_STEP: Final = re.compile(r"/api/(config/config_entries/(options/)?flow|repairs/issues/fix)/")


def _flow_answer(response: Response) -> bool:
    """Home Assistant's answer to a step of a config, options or repair flow."""
    return response.request.method == "POST" and bool(FLOW_STEP.search(response.url))


async def submit(page: Page, button: str = "Submit") -> None:
    """Press the dialog's button and wait for Home Assistant's answer to the step.

    The same error can be on the page from the step before: only the answer tells that
    the new input was judged.
    """
    async with page.expect_response(_flow_answer):
        await page.get_by_role("button", name=button).click()


def menu_option(page: Page, label: str) -> Locator:
    """A menu step's option, not the same words in bold in its description."""
    return page.get_by_text(label, exact=True).and_(page.locator(":not(strong)"))


def search_field(page: Page, name: str) -> Locator:
    """A search box: labelled ``name`` on 2026.2, with ``name`` as placeholder on 2026.11."""
    return page.get_by_role("textbox", name=name).or_(page.get_by_placeholder(name)).first


def entity_row(page: Page, name: str) -> Locator:
    """The row of the entity called ``name`` in the device page's cards."""
    return page.locator("hui-generic-entity-row").filter(has=page.get_by_text(name, exact=True))


async def expect_visible(page: Page, text: str, *, exact: bool = False) -> None:
    """``text`` is shown on the page (waiting for it up to the timeout)."""
    from playwright.async_api import expect

    await expect(page.get_by_text(text, exact=exact).first).to_be_visible()


async def log_in(page: Page, url: str, screenshots: Screenshots) -> None:
    """The login page, as the owner."""
    await page.goto(url)
    await page.get_by_role("textbox", name="Username").fill(OWNER["username"])
    await page.get_by_role("textbox", name="Password").fill(OWNER["password"])
    await screenshots.take(page, "login")
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_text("Settings", exact=True).wait_for()


async def confirm_http_configuration(client: HomeAssistantClient) -> None:
    """Keep the HTTP settings that Home Assistant 2026.11 and newer took from YAML.

    Those versions move ``http:`` from configuration.yaml into storage as a trial that
    the frontend asks an administrator to confirm (a dialog over every page) and that
    reverts after 5 minutes; older versions know no such command. The repair saying that
    ``http:`` in YAML is deprecated is about the test's configuration, not the
    integration: it is ignored, so that the pages show the integration's repairs only.
    """
    try:
        await client.websocket_command({"type": "http/config/promote"})
    except HomeAssistantError as err:
        if "unknown_command" not in str(err):
            raise
        return
    issues = await client.websocket_command({"type": "repairs/list_issues"})
    for issue in issues["issues"]:
        if issue["domain"] == "http":
            await client.websocket_command(
                {
                    "type": "repairs/ignore_issue",
                    "domain": "http",
                    "issue_id": issue["issue_id"],
                    "ignore": True,
                }
            )


async def deliver(webhook_url: str, token: str, events: int) -> simulator.Report:
    """``events`` deliveries signed with ``token`` (no VERIFY), each retried as Smartcar does."""
    return await simulator.run(
        webhook_url,
        token,
        scenario="stream",
        count=events,
        interval=0,
        skip_verify=True,
        speed=FAST_RETRIES,
    )


async def go_to(page: Page, url: str) -> None:
    """Open ``url`` in the page.

    A dialog that just closed steps back in the browser's history as it goes, which aborts
    a navigation started meanwhile: that one is started again.
    """
    from playwright.async_api import Error as PlaywrightError  # as the page fixture does

    try:
        await page.goto(url)
    except PlaywrightError as err:
        if "net::ERR_ABORTED" not in err.message:
            raise
        await page.goto(url)


async def open_integration(page: Page, url: str) -> None:
    """Settings > Devices & services > Smartcar."""
    await go_to(page, f"{url}/config/integrations/dashboard")
    await page.get_by_text("Smartcar", exact=True).first.click()
    await page.wait_for_url("**/config/integrations/integration/smartcar*")


async def entry_menu(page: Page, item: str) -> None:
    """The ⋮ menu of the Smartcar entry on its integration page, then ``item``."""
    entry = page.locator("ha-config-entry-row").filter(
        has=page.get_by_role("button", name="Configure")
    )
    await entry.get_by_role("button", name="Menu").first.click()
    await page.get_by_role("menuitem", name=item).click()


async def open_device_triggers(page: Page) -> None:
    """From the device page to the list of its device triggers in a new automation.

    On 2026.2 the device page's Automations card opens an automation with the device's
    first trigger; on 2026.11 its "Add to…" dialog opens the trigger picker, where a
    Device trigger (By type > Device) is given the device.
    """
    from playwright.async_api import expect

    add_to = page.get_by_role("button", name="Add to…")
    create = page.get_by_role("button", name="Create automation with device")
    await expect(add_to.or_(create)).to_be_visible()
    if await add_to.is_visible():
        await add_to.click()
        await page.get_by_role("button", name="Create as a new trigger").click()
        await page.wait_for_url("**/config/automation/edit/new")
        await page.get_by_role("button", name="By type").click()
        await page.get_by_role("button", name="Device", exact=True).click()
        await page.get_by_role("button", name="Device Triggers when something happens").click()
        await page.get_by_role("button", name="Device Select a device").click()
        await page.get_by_role("option", name=DEVICE).click()
        await page.get_by_role("button", name=re.compile(r"^Trigger ")).click()
    else:
        await create.click()
        await page.get_by_role("option", name="Use device as trigger").click()
        await page.wait_for_url("**/config/automation/edit/new")
        await page.get_by_role("heading", name=TRIGGERS[0]).click()
        await page.get_by_label("Trigger", exact=True).click()


def device_page_rows(signals: Mapping[str, Any]) -> dict[str, str]:
    """Entity name → what its row on the device page shows (a pattern), for these signals.

    As Home Assistant's English frontend shows them in the metric unit system: numbers
    with the display precision the integration suggests, and the unit.
    """
    tires = {(tire["row"], tire["column"]): tire for tire in signals["wheel-tires"]["values"]}
    doors = {(door["row"], door["column"]): door for door in signals["closure-doors"]["values"]}
    location = signals["location-preciselocation"]
    at_home = math.dist(
        (location["latitude"], location["longitude"]), (HOME["latitude"], HOME["longitude"])
    )
    assert at_home > AWAY_DEGREES  # clearly outside the home zone (100 m)
    return {
        "Battery": rf"{signals['tractionbattery-stateofcharge']['value']}\s?%",
        "Range": rf"{signals['tractionbattery-range']['value']}\s?km",
        "Odometer": rf"{round(signals['odometer-traveleddistance']['value']):,}\s?km",
        "Energy added": rf"{signals['charge-energyadded']['value']:.2f}\s?kWh",
        "Plugged in": (
            "Plugged in" if signals["charge-ischargingcableconnected"]["value"] else "Unplugged"
        ),
        "Lock": "Locked" if signals["closure-islocked"]["value"] else "Unlocked",
        "Doors": "Open" if any(door["isOpen"] for door in doors.values()) else "Closed",
        "Door front left": "Open" if doors[0, 0]["isOpen"] else "Closed",
        "Location": "Away",
        "12 V battery": rf"{signals['lowvoltagebattery-stateofcharge']['value']}\s?%",
        "Tire pressure front left": rf"{tires[0, 0]['tirePressure']:.1f}\s?bar",
    }


async def scroll_list_to_top(page: Page, search: Locator) -> None:
    """Scroll the list under a search box to its top, where the integration's triggers are.

    The list starts at the chosen trigger on 2026.11; the pointer ends on the search box,
    so that no option is highlighted.
    """
    box = await search.bounding_box()
    assert box is not None
    middle = box["x"] + box["width"] / 2
    await page.mouse.move(middle, box["y"] + box["height"] + LIST_OFFSET)
    await page.mouse.wheel(0, -LIST_SCROLL)
    await page.mouse.move(middle, box["y"] + box["height"] / 2)


async def test_setup_and_use_in_the_browser(  # noqa: PLR0915 (one journey)
    server: HomeAssistantServer, page: Page, screenshots: Screenshots
) -> None:
    """From Add integration to the device page, triggers, repairs, options, reconfigure."""
    from playwright.async_api import expect

    stopwatch = Stopwatch()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        server.start()
        await server.wait_http()
        client = HomeAssistantClient(session, server.url)
        await client.onboard(**OWNER, complete=False)
        assert client.access_token is not None
        assert all((await client.onboarding_status()).values())  # the rest was marked done
        await server.wait_running(client.access_token)
        await confirm_http_configuration(client)
        version = (await client.get("/api/config"))["version"]
        stopwatch.lap("start and onboarding")

        # --- Log in; Settings > Devices & services > Add integration > Smartcar.
        await log_in(page, server.url, screenshots)
        await page.get_by_text("Settings", exact=True).click()
        await page.get_by_text("Devices & services", exact=True).click()
        await page.wait_for_url("**/config/integrations/dashboard")
        await page.get_by_role("button", name="Add integration").click()
        await search_field(page, "Search for a brand name").fill("Smartcar")
        await page.get_by_text("Smartcar", exact=True).click()
        await expect_visible(page, FLOW["step"]["user"]["title"], exact=True)
        await screenshots.take(page, "choose-how")
        await menu_option(page, FLOW["step"]["user"]["menu_options"]["webhook_only"]).click()
        await expect_visible(page, FLOW["step"]["webhook_only"]["title"], exact=True)
        stopwatch.lap("log in, add integration")

        # --- An empty token (the frontend's own check), a blank and a malformed one.
        token = page.get_by_role("textbox", name="Application Management Token")
        await page.get_by_role("button", name="Submit").click()  # nothing is sent
        await expect_visible(page, REQUIRED_FIELDS)
        await screenshots.take(page, "empty-token")
        await token.fill("   ")
        await submit(page)
        await expect_visible(page, FLOW["error"]["invalid_token"])
        await expect(page.get_by_text(REQUIRED_FIELDS)).to_have_count(0)
        await token.fill("not a token")
        await submit(page)
        await expect_visible(page, FLOW["error"]["invalid_token"])
        await screenshots.take(page, "malformed-token")

        # --- A valid token, but no HTTPS external URL: the public-address error.
        await token.fill(TOKEN)
        await submit(page)
        await expect_visible(page, FLOW["error"]["no_public_url"])
        await expect(page.get_by_text(FLOW["error"]["invalid_token"])).to_have_count(0)
        await screenshots.take(page, "no-public-url")
        stopwatch.lap("token and URL errors")

        # --- Settings > System > Network > Home Assistant URL, in a second tab.
        network = await page.context.new_page()
        await network.goto(server.url)
        await network.get_by_text("Settings", exact=True).click()
        await network.get_by_text("System", exact=True).click()
        await network.get_by_text("Network", exact=True).click()
        await network.wait_for_url("**/config/network")
        url_form = network.locator("ha-config-url-form")
        await expect(url_form.get_by_text("Home Assistant URL", exact=True)).to_be_visible()
        await url_form.get_by_role("textbox").first.fill(EXTERNAL_URL)
        await screenshots.take(network, "network-external-url")
        await url_form.get_by_role("button", name="Save").click()
        await wait_for_external_url(client, EXTERNAL_URL)
        await network.close()

        # --- Submit again: the callback URL and the Dashboard steps.
        await submit(page)
        await expect_visible(page, FLOW["step"]["webhook"]["title"], exact=True)
        callback = page.locator("code").first
        shown = re.compile(rf"^\s*{re.escape(EXTERNAL_URL)}/api/webhook/\w+\s*$")
        await expect(callback).to_have_text(shown)
        callback_url = (await callback.text_content() or "").strip()
        webhook_url = server.url + callback_url.removeprefix(EXTERNAL_URL)
        for step in ("Trigger", "Signals", "Callback URI", "Verify"):
            await expect(page.get_by_text(step, exact=True).first).to_be_visible()
        await expect(page.get_by_role("link", name="Smartcar Dashboard")).to_be_visible()
        await screenshots.take(page, "callback-url")
        stopwatch.lap("external URL, callback URL")

        # --- Wait for Smartcar's verification: the simulator sends it; success by itself.
        await menu_option(page, FLOW["step"]["webhook"]["menu_options"]["wait_verify"]).click()
        await expect_visible(page, "Waiting for Smartcar's verification request at")
        await screenshots.take(page, "waiting-for-verify")
        verification = await simulator.run(webhook_url, TOKEN, verify_only=True)
        assert verification.verification.ok, verification.summary_lines()
        await expect_visible(page, "Home Assistant answered Smartcar's verification request at:")
        await screenshots.take(page, "verified")
        await page.get_by_role("button", name="Finish").click()
        (entry,) = await client.config_entries()
        assert (entry["title"], entry["state"]) == ("Smartcar", "loaded")
        stopwatch.lap("verification")

        # --- A scenario creates the car; its device page.
        report = await simulator.run(webhook_url, TOKEN, scenario="full", speed=FULL_SPEED)
        assert report.exit_code == 0, report.summary_lines()
        stopwatch.lap(f"full scenario ({report.events} events)")
        await open_integration(page, server.url)
        await page.get_by_text(DEVICE, exact=True).first.click()
        await page.wait_for_url("**/config/devices/device/*")
        (car,) = simulator.expected_state("full", 1).values()
        expected = device_page_rows(car.signals)
        battery = car.signals["tractionbattery-stateofcharge"]["value"]
        low_voltage = car.signals["lowvoltagebattery-stateofcharge"]["value"]
        assert battery != low_voltage  # so that the badge tells them apart
        for name, value in expected.items():
            await expect(entity_row(page, name)).to_contain_text(re.compile(value))
        # The badge by the device's name is the traction battery, not the 12 V one.
        badge = page.locator("ha-config-device-page .battery").first
        await expect(badge).to_have_text(re.compile(rf"^\s*{battery}\s?%\s*$"))
        await screenshots.take(page, "device", height=DEVICE_PAGE_HEIGHT)
        stopwatch.lap("device page")

        # --- The automation editor lists the vehicle's device triggers.
        await open_device_triggers(page)
        search = search_field(page, "Search")
        for label in TRIGGERS:
            await search.fill(label)
            await expect(page.get_by_text(label, exact=True).last).to_be_visible()
        await search.fill("")
        await scroll_list_to_top(page, search)
        await expect(page.get_by_text(min(TRIGGERS), exact=True).last).to_be_visible()
        await screenshots.take(page, "device-triggers")
        for absent in ("Arrived home", "Left home"):
            await search.fill(absent)
            await expect(page.get_by_text(absent, exact=True)).to_have_count(0)
        stopwatch.lap("device triggers")

        # --- Deliveries signed with another token: a repair, gone with a good delivery.
        issue = STRINGS["issues"]["signature_failures"]["title"].format(entry="Smartcar")
        rejected = await deliver(webhook_url, ROTATED, SIGNATURE_FAILURES)
        assert rejected.accepted == 0
        assert {d.status for d in rejected.deliveries} == {401}
        await go_to(page, f"{server.url}/config/repairs")
        await expect_visible(page, issue)
        await expect_visible(page, "1 repair", exact=True)  # and no other
        await screenshots.take(page, "repair")
        good = await deliver(webhook_url, TOKEN, 1)
        assert good.accepted == 1, good.summary_lines()
        await expect(page.get_by_text(issue)).to_have_count(0)
        # Again, and fixed through the repair's form with the token Smartcar now uses.
        rejected = await deliver(webhook_url, ROTATED, SIGNATURE_FAILURES)
        assert rejected.accepted == 0
        await page.get_by_text(issue).click()
        fix = STRINGS["issues"]["signature_failures"]["fix_flow"]["step"]["token"]
        await expect_visible(page, fix["title"], exact=True)
        await screenshots.take(page, "repair-fix")
        await page.get_by_role("textbox", name="Application Management Token").fill(ROTATED)
        await submit(page)
        await expect_visible(page, "The issue is repaired!")
        await page.get_by_role("button", name="Finish").click()
        await expect(page.get_by_text(issue)).to_have_count(0)
        rotated = await _deliver_after_reload(webhook_url, ROTATED)
        assert rotated.accepted == 1, rotated.summary_lines()
        stopwatch.lap("repairs")

        # --- Options: a reporting timeout of 0 is refused, 48 hours saved.
        options = STRINGS["options"]
        await open_integration(page, server.url)
        await page.get_by_role("button", name="Configure").click()
        await expect_visible(page, options["step"]["init"]["title"], exact=True)
        hours = page.get_by_role("spinbutton", name="Reporting timeout")
        await hours.fill("0")
        await submit(page)
        assert options["error"]["stale_after_range"].startswith(
            "Enter a whole number of hours from 1 to 168"
        )
        await expect_visible(page, options["error"]["stale_after_range"])
        await screenshots.take(page, "options-out-of-range")
        await hours.fill("48")
        await submit(page)
        await expect_visible(page, "Options successfully saved.")
        await page.get_by_role("button", name="Finish").click()
        stopwatch.lap("options")

        # --- Reconfigure: the same callback URL; the token replaced.
        await entry_menu(page, "Reconfigure")
        await expect_visible(page, FLOW["step"]["reconfigure"]["title"], exact=True)
        await expect(page.locator("code").first).to_have_text(
            re.compile(rf"^\s*{re.escape(callback_url)}\s*$")
        )
        await screenshots.take(page, "reconfigure")
        await page.get_by_role("textbox", name="Application Management Token").fill(TOKEN)
        await submit(page)
        # The integration's own words. Home Assistant 2026.11 shows its generic
        # "Reconfiguration was successful" instead unless the flow names the reason:
        # async_update_reload_and_abort(..., reason="reconfigure_successful").
        done = FLOW["abort"]["reconfigure_successful"]
        await expect(
            page.get_by_text(done), f"the reconfigure flow's own message: {done!r}"
        ).to_be_visible()
        back = await _deliver_after_reload(webhook_url, TOKEN)
        assert back.accepted == 1, back.summary_lines()
        stopwatch.lap("reconfigure")

        entries = await client.config_entries()
        assert [(e["title"], e["state"]) for e in entries] == [("Smartcar", "loaded")]
        print(f"\nserver: Home Assistant {version} on {server.python}")
        print(f"timings: {stopwatch}")
        print(f"screenshots: {screenshots.folder}")

    assert server_errors(server) == []
    assert deprecation_reports(server) == []


async def wait_for_external_url(client: HomeAssistantClient, url: str) -> None:
    """Until Home Assistant's configuration has ``url`` as its external URL (saved)."""
    for _ in range(100):
        if (await client.get("/api/config")).get("external_url") == url:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the external URL is not {url} 10 s after saving it")


async def _deliver_after_reload(webhook_url: str, token: str) -> simulator.Report:
    """One delivery signed with ``token``, once the entry's reload after a change is done.

    Until then Home Assistant answers an unknown webhook id with an empty 200, which the
    simulator counts as accepted without a body; retried while the entry reloads.
    """
    async with asyncio.timeout(10):
        while True:
            report = await deliver(webhook_url, token, 1)
            if report.accepted == 1 and all(d.result for d in report.deliveries):
                return report
            await asyncio.sleep(0.2)
