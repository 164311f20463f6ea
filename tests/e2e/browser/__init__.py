"""Browser tests: Home Assistant's real frontend in Chromium, driven by Playwright."""
