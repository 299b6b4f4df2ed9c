"""Speed of the search index on generated vaults, next to an unindexed ripgrep scan.

For each size (default 1,000 and 10,000 notes from ``../shared/bench/gen_vault.py``):

- full build (``open_index`` + ``update()`` on an empty index) and index size on disk;
- one-note incremental update: ``update_paths([note])`` (the app's file watcher) and
  ``update()`` (scan + manifest + re-index, what every CLI query does first), medians;
  then ``--edits`` more one-note saves through ``update_paths`` (each commits a segment;
  the merge policy, ``index/writer.py``, decides which small ones it takes in): median,
  mean and max of all the watcher saves, and the segment count they leave;
- the incremental check alone (nothing changed);
- a new process answering ``python -m notebase search QUERY --json`` (median), next to a
  bare ``python -c pass`` and a process that only opens the index and searches (no CLI
  argument parsing, so no other command group's imports);
- in-process query latency p50/p95 with one searcher kept open: the 43 queries of
  ``korean_queries.json`` (words rare in the generated vault) and, separately, the
  generator's own concept words and tags (each matches 10-50% of all notes), and those
  again each on a new searcher (nothing cached: the first query after an index change);
  the common words are also measured on the fresh build, before any edit (its chunks'
  segments only), next to the same after the edits (more segments);
- the baseline: ``rg -l -F -i WORD VAULT`` median over the same words, same run.

Targets at 10,000 notes on the 2-core reference machine (issue 16): new process <= 200 ms,
in-process p95 <= 16 ms (common words too), one-note update <= 25 ms, full build <= 15 s.
The machine is shared: quote the ripgrep ratio and the CPU times beside each absolute number.

Run: ``.venv/bin/python bench/search_bench.py [--sizes 1000 10000] [--repeat 7] [--edits 60]``.
``--compare-merge SAVES`` instead runs the same saves on two copies of one index, one with
the previous merge policy and one with the current, interleaved (``compare_merge``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GEN_VAULT = SHARED / "bench" / "gen_vault.py"
QUERIES_FILE = SHARED / "bench" / "korean_queries.json"

# Words the generated notes use a lot (concepts, fillers, tags): the hard case for whoosh,
# which scores every matching document in Python.
COMMON_QUERIES = [
    "분산 시스템",
    "딥러닝",
    "딥 러닝",
    "가상 메모리",
    "합의 알고리즘에서",
    "과적합",
    "손실 함수",
    "강화학습",
    "regularization",
    "consensus algorithm",
    "tag:ml",
    "tag:ml 메모리",
    "tag:cs/os 스케줄러",
    '"가상 메모리"',
    "title:트랜잭션",
    "-tag:ml 신경망",
    "메모리",
    "베이즈 정리 확률",
    "embedding OR 임베딩",
    "tag:미완",
]
NEW_PROCESS_QUERIES = ["메타러닝", "분산 시스템", "gradient", "tag:ml 메모리", "역색인"]
RG_WORDS = ["메타러닝", "분산 시스템", "gradient", "메모리", "역색인"]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index] * 1000


def timed_process(argv: list[str], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``repeat`` runs; their CPU times (user + sys) appended to ``cpu``."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ripgrep_samples(vault: Path, repeat: int) -> tuple[str, list[float]]:
    tool = shutil.which("rg")
    samples = []
    for word in RG_WORDS:
        if tool:
            argv = [tool, "-l", "-F", "-i", word, str(vault)]
        else:
            argv = ["grep", "-r", "-l", "-F", "-i", word, str(vault)]
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(argv, capture_output=True)
            samples.append(time.perf_counter() - started)
    return ("rg" if tool else "grep -r (ripgrep missing)"), samples


def query_percentiles(index, queries: list[str], repeat: int) -> tuple[float, float]:
    """p50 and p95 (ms) of ``repeat`` rounds of ``queries`` on the index's open searcher,
    after one warm-up round (the first use of each term's postings)."""
    for query in queries:
        index.search(query)
    samples = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            index.search(query)
            samples.append(time.perf_counter() - started)
    return percentile_ms(samples, 0.5), percentile_ms(samples, 0.95)


def bench_size(n: int, repeat: int, work: Path, edits: int = 0) -> dict:
    from notebase.index import open_index

    vault = work / f"vault{n}"
    subprocess.run(
        [sys.executable, str(GEN_VAULT), str(vault), "--n", str(n), "--seed", "42"],
        check=True,
        capture_output=True,
    )
    result: dict = {"notes": n}
    baseline_name, rg = ripgrep_samples(vault, repeat)
    result["baseline"] = baseline_name
    result["rg_median_ms"] = median_ms(rg)

    # What the full build spends in the vault core's parser alone (for the split).
    from notebase.core.parse import parse_note
    from notebase.index.whoosh_index import scan_note_files

    started = time.perf_counter()
    for file in scan_note_files(vault, _config()):
        parse_note(file.path, Path(file.abs_path).read_bytes())
    result["parse_only_s"] = time.perf_counter() - started

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, cpu_started = time.perf_counter(), time.process_time()
    index = open_index(vault, on_message=lambda m: None)
    stats = index.update()
    result["full_build_s"] = time.perf_counter() - started
    result["full_build_cpu_s"] = time.process_time() - cpu_started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A large build hands part of the notes to a helper process (index/build_helper.py).
    result["full_build_helper_cpu_s"] = (
        after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    )
    assert stats.added == n, stats
    result["index_mb"] = folder_size(vault / ".notebase" / "index") / 1e6
    result["segments_after_build"] = index.segment_count()
    p50, p95 = query_percentiles(index, COMMON_QUERIES, repeat)
    result["query_common_build_p50_ms"], result["query_common_build_p95_ms"] = p50, p95

    # Incremental check with nothing changed (what precedes every CLI query).
    check = []
    for _ in range(repeat):
        started = time.perf_counter()
        index.update()
        check.append(time.perf_counter() - started)
    result["check_unchanged_ms"] = median_ms(check)

    # One-note edits: through the watcher API, then through a full update().
    notes = sorted(vault.glob("*.md"))
    watcher, full = [], []

    def save(note, line: str, update, times: list[float]) -> None:
        """Append `line` to `note`, then time `update` (it must see that one note)."""
        with open(note, "a", encoding="utf-8") as handle:
            handle.write(f"\n{line}\n")
        started = time.perf_counter()
        stats = update()
        times.append(time.perf_counter() - started)
        assert stats.updated == 1, stats

    for i in range(repeat):
        note = notes[(i * 7919) % len(notes)]
        save(note, f"추가된 문장 {i} 편집검증어{i}", lambda n=note: index.update_paths([n]), watcher)
        save(notes[(i * 7919 + 1) % len(notes)], f"another edit {i}", index.update, full)
    result["update_one_note_scan_ms"] = median_ms(full)
    # More saves of other notes (the multi-segment state: one segment per commit, less
    # what the merge policy takes in). Deterministic: same notes, same order.
    for i in range(edits):
        note = notes[(i * 4099 + 13) % len(notes)]
        save(note, f"저장 {i} save{i}", lambda n=note: index.update_paths([n]), watcher)
    result["update_one_note_watcher_ms"] = median_ms(watcher)
    result["update_one_note_watcher_mean_ms"] = statistics.fmean(watcher) * 1000
    result["update_one_note_watcher_max_ms"] = max(watcher) * 1000
    result["saves"] = len(watcher) + len(full)
    result["segments_after_edits"] = index.segment_count()

    # In-process queries, one searcher kept open (as in the app).
    spec = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    for label, queries in (
        ("gold", [q["query"] for q in spec["queries"]]),
        ("common", COMMON_QUERIES),
    ):
        p50, p95 = query_percentiles(index, queries, repeat)
        result[f"query_{label}_p50_ms"], result[f"query_{label}_p95_ms"] = p50, p95
    # The first query on a new searcher (the CLI's one search, the first keystroke after an
    # index change): index/ranking.py has no term cached yet.
    cold = []
    for _ in range(max(1, repeat // 3)):
        for query in COMMON_QUERIES:
            index._refresh_searcher()
            started = time.perf_counter()
            index.search(query)
            cold.append(time.perf_counter() - started)
    result["query_common_cold_p50_ms"] = percentile_ms(cold, 0.5)
    result["query_common_cold_p95_ms"] = percentile_ms(cold, 0.95)
    index.close()

    # A new process per query.
    python = sys.executable
    result["python_startup_ms"] = median_ms(timed_process([python, "-c", "pass"], repeat))
    cli, cli_cpu = [], []
    direct = []
    direct_code = (
        "import sys; from notebase.index import open_index; "
        "ix = open_index(sys.argv[1]); ix.update(); ix.search(sys.argv[2]); ix.close()"
    )
    for query in NEW_PROCESS_QUERIES:
        cli += timed_process(
            [python, "-m", "notebase", "--vault", str(vault), "search", query, "--json"],
            repeat,
            cli_cpu,
        )
        direct += timed_process([python, "-c", direct_code, str(vault), query], repeat)
    result["new_process_cli_ms"] = median_ms(cli)
    result["new_process_cli_cpu_ms"] = median_ms(cli_cpu)
    result["new_process_index_only_ms"] = median_ms(direct)
    return result


def _previous_policy(writer, segments: list) -> list:
    """The commit merge policy before 2026-11-29: none below 10 segments, then whoosh's
    MERGE_SMALL (it merges only from five small segments on)."""
    from whoosh.writing import MERGE_SMALL, NO_MERGE

    return (MERGE_SMALL if len(segments) >= 10 else NO_MERGE)(writer, segments)


def compare_merge(n: int, saves: int, repeat: int, work: Path) -> None:
    """The same ``saves`` one-note saves on two copies of one built index, committed with
    the previous merge policy (A) and ``writer.merge_small_segments`` (B), A and B
    interleaved save by save and query by query (a shared machine's load hits both);
    every tenth of the way: both segment counts and the common words' p50/p95 on each;
    at the end: the saves' times and the segment counts they left (mean, max)."""
    from notebase.index import open_index
    from notebase.index import writer as index_writer

    vault_a, vault_b = work / f"ab{n}-a", work / f"ab{n}-b"
    subprocess.run(
        [sys.executable, str(GEN_VAULT), str(vault_a), "--n", str(n), "--seed", "42"],
        check=True,
        capture_output=True,
    )
    index = open_index(vault_a, on_message=lambda m: None)
    index.update()
    index.close()
    shutil.copytree(vault_a, vault_b)
    policies = {"A": _previous_policy, "B": index_writer.merge_small_segments}
    indexes = {
        "A": open_index(vault_a, on_message=lambda m: None),
        "B": open_index(vault_b, on_message=lambda m: None),
    }
    notes = sorted(p.name for p in vault_a.glob("*.md"))
    times: dict[str, list[float]] = {"A": [], "B": []}
    counts: dict[str, list[int]] = {"A": [], "B": []}
    print(f"{n:,} notes, {saves} saves; A: previous policy, B: merge_small_segments")
    print("| saves | segments A | segments B | p50 A | p50 B | p95 A | p95 B | load |")
    print("|---|---|---|---|---|---|---|---|")
    step = max(1, saves // 10)
    try:
        for i in range(saves):
            name = notes[(i * 4099 + 13) % len(notes)]
            for label in "AB" if i % 2 == 0 else "BA":
                note = (vault_a if label == "A" else vault_b) / name
                with open(note, "a", encoding="utf-8") as handle:
                    handle.write(f"\n저장 {i} save{i}\n")
                index_writer.merge_small_segments = policies[label]
                started = time.perf_counter()
                indexes[label].update_paths([note])
                times[label].append(time.perf_counter() - started)
                counts[label].append(indexes[label].segment_count())
            if (i + 1) % step == 0 or i + 1 == saves:
                samples: dict[str, list[float]] = {"A": [], "B": []}
                for label in "AB":  # warm-up
                    for query in COMMON_QUERIES:
                        indexes[label].search(query)
                for r in range(repeat):
                    for query in COMMON_QUERIES:
                        for label in "AB" if r % 2 == 0 else "BA":
                            started = time.perf_counter()
                            indexes[label].search(query)
                            samples[label].append(time.perf_counter() - started)
                print(
                    f"| {i + 1} | {indexes['A'].segment_count()} | "
                    f"{indexes['B'].segment_count()} | "
                    + " | ".join(
                        f"{percentile_ms(samples[label], q):.2f}"
                        for q in (0.5, 0.95)
                        for label in "AB"
                    )
                    + f" | {os.getloadavg()[0]:.2f} |",
                    flush=True,
                )
    finally:
        index_writer.merge_small_segments = policies["B"]
        for index in indexes.values():
            index.close()
    for label in "AB":
        print(
            f"{label}: one-note save (update_paths) median {median_ms(times[label]):.1f} ms, "
            f"mean {statistics.fmean(times[label]) * 1000:.1f} ms, "
            f"max {max(times[label]) * 1000:.1f} ms; segments after a save: "
            f"mean {statistics.fmean(counts[label]):.1f}, max {max(counts[label])}"
        )


def _config():
    from notebase.config import VaultConfig

    return VaultConfig()


ROWS = [
    ("full build (s)", "full_build_s", "{:.1f}"),
    ("full build, CPU time of this process (s)", "full_build_cpu_s", "{:.1f}"),
    ("full build, CPU time of its helper process (s)", "full_build_helper_cpu_s", "{:.1f}"),
    ("parsing every note alone, separate pass (s)", "parse_only_s", "{:.1f}"),
    ("index size (MB)", "index_mb", "{:.1f}"),
    ("incremental check, nothing changed (ms)", "check_unchanged_ms", "{:.1f}"),
    ("segments after the build", "segments_after_build", "{}"),
    ("query p50, common words, fresh build (ms)", "query_common_build_p50_ms", "{:.2f}"),
    ("query p95, common words, fresh build (ms)", "query_common_build_p95_ms", "{:.2f}"),
    ("one-note update, update_paths, median (ms)", "update_one_note_watcher_ms", "{:.1f}"),
    ("one-note update, update_paths, mean (ms)", "update_one_note_watcher_mean_ms", "{:.1f}"),
    ("one-note update, update_paths, max (ms)", "update_one_note_watcher_max_ms", "{:.1f}"),
    ("one-note update, update() with scan (ms)", "update_one_note_scan_ms", "{:.1f}"),
    ("one-note saves in all", "saves", "{}"),
    ("segments after the saves", "segments_after_edits", "{}"),
    ("query p50, korean_queries, after the saves (ms)", "query_gold_p50_ms", "{:.2f}"),
    ("query p95, korean_queries, after the saves (ms)", "query_gold_p95_ms", "{:.2f}"),
    ("query p50, common words, after the saves (ms)", "query_common_p50_ms", "{:.2f}"),
    ("query p95, common words, after the saves (ms)", "query_common_p95_ms", "{:.2f}"),
    ("query p50, common words, new searcher (ms)", "query_common_cold_p50_ms", "{:.2f}"),
    ("query p95, common words, new searcher (ms)", "query_common_cold_p95_ms", "{:.2f}"),
    ("new process: python -c pass (ms)", "python_startup_ms", "{:.0f}"),
    ("new process: open + update + search (ms)", "new_process_index_only_ms", "{:.0f}"),
    ("new process: notebase search --json (ms)", "new_process_cli_ms", "{:.0f}"),
    ("new process: notebase search --json, CPU time (ms)", "new_process_cli_cpu_ms", "{:.0f}"),
    ("baseline scan, median (ms)", "rg_median_ms", "{:.1f}"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--edits", type=int, default=60, help="one-note saves after the timed ones")
    parser.add_argument(
        "--compare-merge",
        type=int,
        metavar="SAVES",
        help="only compare the previous and the current merge policy over SAVES saves",
    )
    args = parser.parse_args()
    if not GEN_VAULT.exists():
        print(f"{GEN_VAULT} not found: run next to ../shared", file=sys.stderr)
        return 1
    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine shared with others)")
    if args.compare_merge:
        with tempfile.TemporaryDirectory(prefix="notebase-bench-") as tmp:
            for n in args.sizes:
                compare_merge(n, args.compare_merge, args.repeat, Path(tmp))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="notebase-bench-") as tmp:
        for n in args.sizes:
            results.append(bench_size(n, args.repeat, Path(tmp), args.edits))
            print(f"  measured {n} notes, load average {os.getloadavg()[0]:.2f}", flush=True)
    header = "| measure | " + " | ".join(f"{r['notes']:,} notes" for r in results) + " |"
    print()
    print(header)
    print("|---|" + "---|" * len(results))
    for label, key, fmt in ROWS:
        cells = " | ".join(fmt.format(r[key]) for r in results)
        print(f"| {label} | {cells} |")
    print(f"\nbaseline: {results[0]['baseline']}")
    for r in results:
        print(
            f"{r['notes']:,} notes: new-process search / baseline scan = "
            f"{r['new_process_cli_ms'] / r['rg_median_ms']:.1f}x; "
            f"in-process p95 (korean_queries) / baseline = "
            f"{r['query_gold_p95_ms'] / r['rg_median_ms']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
