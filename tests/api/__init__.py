"""Tests of Smartcar's API v3 client (api.py and the modules it is made of)."""
