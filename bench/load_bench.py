"""Time to load + resolve a generated vault: cold (no cache) and warm (parse cache).

    .venv/bin/python bench/load_bench.py [--n 10000] [--runs 3] [--dir DIR] [--gen PATH]

Generates the vault with ``../shared/bench/gen_vault.py`` (or reuses ``--dir`` when it
already holds notes), then for each run: deletes ``<vault>/.notebase`` and loads (cold),
then loads again (warm). Prints wall and CPU-time medians, and a baseline measured in the
same process — markdown-it-py's full parse of every note, which the issue quotes at
~0.35 ms/note — so numbers taken on a busy machine can be compared as ratios.
Targets for 10,000 notes: cold <= 3 s, warm <= 0.4 s (issue 16; issue 2 asked 5 s and 1 s).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GEN = REPO.parent / "shared" / "bench" / "gen_vault.py"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn) -> tuple[float, float, object, float]:
    """Wall and CPU time of ``fn()``, its result, and the CPU time of helper processes it
    started (a cold load parses half of a large vault in one: core/parse_helper.py)."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    result = fn()
    return (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        result,
        _children_cpu() - children,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="notes to generate")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="vault folder to (re)use")
    parser.add_argument("--gen", type=Path, default=DEFAULT_GEN, help="gen_vault.py")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from markdown_it import MarkdownIt

    from notebase.core.cache import cache_path
    from notebase.core.vault import Vault
    from notebase.core.vault_files import iter_note_files

    temp = None
    root = args.dir
    if root is None:
        temp = tempfile.mkdtemp(prefix="notebase-bench-")
        root = Path(temp) / "vault"
    if not root.is_dir() or not any(root.glob("*.md")):
        if not args.gen.is_file():
            print(f"gen_vault.py not found at {args.gen} (pass --gen)", file=sys.stderr)
            return 2
        subprocess.run([sys.executable, str(args.gen), str(root), "--n", str(args.n)], check=True)
    try:
        files = iter_note_files(root)
        texts = [f.abs_path.read_text(encoding="utf-8") for f in files]
        print(f"vault: {root} ({len(files)} notes, {sum(len(t) for t in texts) / 1e6:.1f} M chars)")

        markdown = MarkdownIt()
        baseline = [timed(lambda: [markdown.parse(t) for t in texts]) for _ in range(args.runs)]
        cold, warm = [], []
        for _ in range(args.runs):
            shutil.rmtree(cache_path(root).parent, ignore_errors=True)
            cold.append(timed(lambda: Vault.load(root)))
            warm.append(timed(lambda: Vault.load(root)))
        vault = warm[-1][2]
        links = sum(len(n.links) for n in vault.notes.values())
        resolved = sum(1 for n in vault.notes.values() for x in n.links if x.resolved)
        print(
            f"links: {links} ({resolved} resolved); cache {cache_path(root).stat().st_size / 1e6:.1f} MB"
        )

        def report(name: str, samples: list) -> float:
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            helper = statistics.median(s[3] for s in samples)
            runs = ", ".join(f"{s[0]:.2f}" for s in samples)
            print(
                f"{name:<34} median wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                f"helper cpu {helper:5.2f} s   (runs: {runs})"
            )
            return wall

        base = report("baseline: markdown-it full parse", baseline)
        cold_wall = report("cold load + resolve (no cache)", cold)
        warm_wall = report("warm load + resolve (cache)", warm)
        print(
            f"per note: baseline {base / len(files) * 1e3:.3f} ms, cold {cold_wall / len(files) * 1e3:.3f} ms, "
            f"warm {warm_wall / len(files) * 1e3:.3f} ms"
        )
        print(f"ratios: cold/baseline {cold_wall / base:.2f}, warm/baseline {warm_wall / base:.2f}")
        scale = 0.35e-3 * len(files) / base  # what the numbers would be at 0.35 ms/note markdown-it
        print(
            f"scaled to the issue's reference machine (markdown-it 0.35 ms/note): "
            f"cold ~{cold_wall * scale:.2f} s, warm ~{warm_wall * scale:.2f} s (targets 3 s, 0.4 s)"
        )
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
