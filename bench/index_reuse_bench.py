"""Index build with the notes the app's vault already parsed, against parsing them again.

The app loads the vault (every note parsed) and then brings the search index up to date;
``update(parsed=vault.parsed_note)`` lets the index take those notes instead of parsing the
files a second time. Medians of 3 full builds each, alternating, in one process.

    .venv/bin/python bench/index_reuse_bench.py [VAULT]   # default ../shared/corpora/obsidian-help-ko
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from notebase.core.vault import Vault
from notebase.index import index_folder, open_index

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "obsidian-help-ko"


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not source.is_dir():
        sys.exit(f"no vault at {source} (give one, or put ../shared beside the repo)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns(".notebase"))
        vault = Vault.load(root, use_cache=False)
        seconds: dict[str, list[float]] = {"parse again": [], "vault's notes": []}
        for _ in range(3):
            for name, parsed in (("parse again", None), ("vault's notes", vault.parsed_note)):
                shutil.rmtree(index_folder(root), ignore_errors=True)
                index = open_index(root, vault.config, on_message=lambda message: None)
                started = time.perf_counter()
                index.update(parsed=parsed)
                seconds[name].append(time.perf_counter() - started)
                index.close()
    base = statistics.median(seconds["parse again"])
    print(f"{len(vault.notes)} notes from {source.name}")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:<14} median {median * 1000:7.1f} ms  ({median / base:.2f}x)")


if __name__ == "__main__":
    main()
