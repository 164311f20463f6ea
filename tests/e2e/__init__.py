"""End-to-end tests against a real Home Assistant server process."""
