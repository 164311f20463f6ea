"""Tolerant reading of the JSON Smartcar's API answers with: what is malformed is absent.

Plain Python, no Home Assistant imports (``api.py`` and the modules it is made of).
"""

from __future__ import annotations

import json
from typing import Any


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object a body holds; None for anything else (a proxy's page, a list)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def nonempty_text(value: Any) -> str | None:
    """A text that says something, else None (numbers and empty texts are not ids)."""
    return value if isinstance(value, str) and value else None
