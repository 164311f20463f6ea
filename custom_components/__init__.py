"""Custom components of this checkout (lets tests import them as a package)."""
