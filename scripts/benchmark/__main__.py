"""``python -m scripts.benchmark`` from the repository root (what scripts/bench runs)."""

import sys

from .cli import main

sys.exit(main())
