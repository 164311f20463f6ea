"""Tests of the tools beside the integration: the simulator, its fake API, the demo, the bench."""
