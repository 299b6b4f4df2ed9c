"""Start-up time of the app: from process start to the first painted screen, and to the
note list filled, on generated vaults of 1,000 and 10,000 notes.

The vaults come from ``../shared/bench/gen_vault.py``; their note cache and search index
are built once before timing (what a user has after the first start). Each measurement
launches a new Python process that runs the app headless (``App.run(headless=True)``)
with a probe the app calls after its first paint (``painted``) and once the vault is
listed (``loaded``); the parent takes the time from just before ``Popen`` to each probe,
so interpreter start-up and imports are included. A bare Textual app (one ``Static``) is
timed the same way, in the same run, as the machine's baseline.

Usage::

    .venv/bin/python bench/startup_bench.py [--sizes 1000 10000] [--repeat 5] [--work DIR]

Targets on this machine (2 cores): first paint < 1.0 s at 1,000 notes, < 1.5 s at 10,000.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN_VAULT = REPO.parent / "shared" / "bench" / "gen_vault.py"

CHILD_APP = textwrap.dedent(
    """
    import sys, time
    from notebase.tui.app import make_app

    def probe(stage):
        print(stage, time.time(), flush=True)
        if stage == "loaded":
            app.exit()

    app = make_app(sys.argv[1], sys.argv[2], watch=False, startup_probe=probe)
    app.run(headless=True, size=(120, 40))
    print("torch_loaded", "torch" in sys.modules, flush=True)
    """
)

CHILD_BARE = textwrap.dedent(
    """
    import time
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("hello")

        def on_mount(self):
            self.call_after_refresh(self.painted)

        def painted(self):
            print("painted", time.time(), flush=True)
            self.exit()

    Bare().run(headless=True, size=(120, 40))
    """
)


def launch(code: str, *args: str) -> dict[str, float]:
    """Run a child; return seconds from launch to each probe stage it printed."""
    start = time.time()
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    stages: dict[str, float] = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("painted", "loaded"):
            stages[parts[0]] = float(parts[1]) - start
        if parts and parts[0] == "torch_loaded" and parts[1] == "True":
            raise RuntimeError("the app imported torch")
    return stages


def prepare(work: Path, notes: int) -> Path:
    """Generate the vault (once) and build its cache and index."""
    vault = work / f"vault-{notes}"
    if not vault.is_dir():
        subprocess.run(
            [sys.executable, str(GEN_VAULT), str(vault), "--n", str(notes), "--seed", "42"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    from notebase.core.vault import Vault
    from notebase.index import open_index

    started = time.perf_counter()
    vault_obj = Vault.load(vault, use_cache=True)
    index = open_index(vault, vault_obj.config, on_message=lambda _m: None)
    try:
        index.update()
    finally:
        index.close()
    print(f"  prepared {notes} notes (cache + index) in {time.perf_counter() - started:.1f} s")
    return vault


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "notebase-startup"
    )
    args = parser.parse_args()
    if not GEN_VAULT.is_file():
        print(f"needs {GEN_VAULT} (../shared); not found", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    experiments = args.work / "experiments"
    experiments.mkdir(exist_ok=True)

    vaults = {n: prepare(args.work, n) for n in args.sizes}
    launch(CHILD_BARE)  # warm the OS file cache for the imports

    bare = [launch(CHILD_BARE)["painted"] for _ in range(args.repeat)]
    bare_median = statistics.median(bare)
    print(
        f"\nbare Textual app, first paint: median {bare_median:.3f} s  (runs: "
        + ", ".join(f"{t:.2f}" for t in bare)
        + ")"
    )
    print(
        f"\n{'notes':>7} | {'first paint (median)':>21} | {'x bare':>6} | {'list filled (median)':>21}"
    )
    print(f"{'-' * 7}-+-{'-' * 21}-+-{'-' * 6}-+-{'-' * 21}")
    for notes, vault in vaults.items():
        runs = [launch(CHILD_APP, str(vault), str(experiments)) for _ in range(args.repeat)]
        painted = statistics.median(r["painted"] for r in runs)
        loaded = statistics.median(r["loaded"] for r in runs)
        print(
            f"{notes:>7} | {painted:>19.3f} s | {painted / bare_median:>6.2f} | {loaded:>19.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
