"""Dependencies point inward: the domain imports no UI, no torch, no search engine."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("textual", "torch", "whoosh")


def loaded_after_import(module: str) -> set[str]:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_core_imports_no_ui_torch_or_whoosh():
    loaded = loaded_after_import("notebase.core")
    for name in (
        "notebase.core.note",
        "notebase.core.parse",
        "notebase.core.citation",
        "notebase.core.vault",
        "notebase.core.cache",
        "notebase.config",
    ):
        loaded |= loaded_after_import(name)
    assert not loaded & set(FORBIDDEN)
