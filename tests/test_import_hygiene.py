"""Heavy libraries load only when a command needs them (checked at run time).

Which package may import which (core imports no textual/torch/whoosh, no import runs upward,
only the app's session and run bridge reach experiments and index) is checked statically by
import-linter: see ``[tool.importlinter]`` in pyproject.toml, run by ``make test``/``make lint``.
grimp sees every import statement, lazy ones inside functions included, so it cannot tell
whether a lazy import keeps a library out of a process that never calls that function; nor does
it see modules loaded through ``importlib`` (the CLI's command modules, the experiment
registry). These tests run those paths in a fresh interpreter and look at ``sys.modules``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("textual", "rich", "torch", "whoosh")


def heavy_loaded(code: str) -> set[str]:
    """The HEAVY top-level packages loaded after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint('\\n'.join({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return set(out.split()) & set(HEAVY)


@pytest.mark.parametrize(
    ("what", "code", "allowed"),
    [
        (
            "the CLI with every command module registered (loaded through importlib)",
            "from notebase.cli import build_parser; build_parser()",
            set(),
        ),
        (
            "listing and validating the shipped experiment specs (registry names only)",
            "from pathlib import Path\n"
            "from notebase.experiments.spec import list_specs\n"
            "from notebase.experiments.sweep import sweep_points\n"
            "specs = list_specs(Path('experiments'))\n"
            "assert len(specs) >= 5, specs\n"
            "for s in specs: sweep_points(s, quick=True)",
            set(),
        ),
        (
            "the app's module (experiments run in a child process; whoosh opens with the index)",
            "import notebase.tui.app",
            {"textual", "rich"},
        ),
    ],
)
def test_heavy_libraries_load_only_when_needed(what, code, allowed):
    assert heavy_loaded(code) <= allowed, what
