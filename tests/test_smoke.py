from homeassistant.core import HomeAssistant

from .conftest import Post, fixture_bytes


async def test_smoke(hass: HomeAssistant, post: Post) -> None:
    r = await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    print(r.status, await r.text())
    for s in sorted(hass.states.async_all(), key=lambda s: s.entity_id):
        print(s.entity_id, s.state, dict(s.attributes))
    r = await post(fixture_bytes("verify.json"), signature=False)
    print(r.status, await r.text())
