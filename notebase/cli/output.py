"""Printing for the CLI: JSON for scripts, plain text for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8 kept readable (Korean stays Korean)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")
