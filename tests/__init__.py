"""Tests of the Smartcar integration."""
