"""What citations cost on a generated vault: grouping against a warm load, parsing, cite: lookups.

    .venv/bin/python bench/citations_bench.py [--n 10000] [--runs 5] [--dir DIR] [--gen PATH]

Generates the vault with ``../shared/bench/gen_vault.py`` (or reuses ``--dir``); its notes
cite ``Author et al., YEAR, *Title*`` footnotes (about 1.4 per note), the worst case for
conflicts: ~60 titles cited with 10 authors and 30 years each. A bibliography of one entry
per distinct title is written beside them for the "with references.bib" figures.

Grouping is lazy: a vault load does not group (the warm load is unchanged); ``citations``,
``check``, ``search cite:`` and the app's panel group when they need it. So the figures are:

- warm load (parse cache) of the vault, the budget's reference;
- grouping every citation (``group_works``), without and with the bibliography (read and
  parsed with bibtexparser each time), as a share of the warm load (issue 14: <= 20 %);
  then with every work's conflicts and misattributions worked out too, what ``citations``
  and ``check`` pay (they are lazy: ``search cite:`` and the app's panel skip most);
- the parser's added cost (pandoc ``[@key]`` scan): a cold parse of every note with and
  without it (alternated, collector paused as in a vault load);
- one ``cite:`` lookup (``Works.notes_citing``) over the grouped works;
- the app: a page of a note with footnotes right after a vault change (it groups, with
  references.bib) and the same page again (the works are kept).

Medians of ``--runs``; wall and CPU time. Shares are of CPU time, which a busy machine
(the shared 2-core one) disturbs less than wall time.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

from bench_vault import REPO, bench_vault, vault_arguments


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median(samples) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def write_bibliography(root: Path, notes) -> int:
    """One entry per distinct cited title (its first citation's author and year)."""
    seen: dict[str, tuple] = {}
    for note in notes:
        for footnote in note.footnotes:
            c = footnote.citation
            if c.title and c.title.casefold() not in seen:
                seen[c.title.casefold()] = (c.title, c.authors[0] if c.authors else "Anon", c.year)
    entries = [
        f"@article{{ref{i},\n  title = {{{title}}},\n  author = {{{author}}},\n"
        f"  journal = {{Journal}},\n  year = {{{year}}}\n}}\n"
        for i, (title, author, year) in enumerate(seen.values())
    ]
    (root / "references.bib").write_text("\n".join(entries), encoding="utf-8")
    return len(entries)


def main() -> int:
    args = vault_arguments(__doc__.split("\n")[0], runs=5)

    sys.path.insert(0, str(REPO))
    from notebase.core import parse as parse_module
    from notebase.core.bibliography import read_bibliography
    from notebase.core.parse import parse_note
    from notebase.core.vault import Vault
    from notebase.core.vault_files import iter_note_files
    from notebase.core.works import group_works

    with bench_vault(args, "notebase-citations-bench-") as root:
        if root is None:
            return 2
        try:
            (root / "references.bib").unlink(missing_ok=True)
            Vault.load(root)  # fills the parse cache
            warm = [timed(lambda: Vault.load(root)) for _ in range(args.runs)]
            vault = warm[-1][2]
            notes = list(vault.notes.values())
            citations = sum(len(n.footnotes) for n in notes)
            entries = write_bibliography(root, notes)
            print(f"vault: {root} ({len(notes)} notes, {citations} footnote citations)")

            bare = [timed(lambda: group_works(notes)) for _ in range(args.runs)]
            with_bib = [
                timed(lambda: group_works(notes, read_bibliography(root, vault.config)))
                for _ in range(args.runs)
            ]
            works = bare[-1][2]
            authority = with_bib[-1][2]

            def everything(bibliography: bool):
                found = group_works(
                    notes, read_bibliography(root, vault.config) if bibliography else None
                )
                return found, sum(len(w.conflicts) + len(w.misattributions) for w in found.works)

            full_bare = [timed(lambda: everything(False)) for _ in range(args.runs)]
            full = [timed(lambda: everything(True)) for _ in range(args.runs)]
            lookups = [timed(lambda: works.notes_citing("Kim")) for _ in range(args.runs)]

            # The app: a note's page groups once per vault change (here: each time, after a
            # generation bump), then reuses the works.
            from notebase.tui.session import VaultSession

            session = VaultSession(root, root.parent / "no-experiments", use_cache=True)
            session.load()
            cited_note = next(n.path for n in notes if n.footnotes)

            def page_after_a_change():
                session._generation += 1  # what a watcher event does to the cache's stamp
                return session.note_page(cited_note)

            first_pages = [timed(page_after_a_change) for _ in range(args.runs)]
            next_pages = [timed(lambda: session.note_page(cited_note)) for _ in range(args.runs)]
            session.close()

            texts = [(f.path, f.abs_path.read_bytes()) for f in iter_note_files(root)]
            original = parse_module.citekeys
            with_scan, without_scan = [], []
            gc.disable()  # as the vault parses: no collector pauses in the figures
            try:
                for _ in range(3):  # alternated, so a busy moment hits both sides
                    with_scan.append(timed(lambda: [parse_note(p, d) for p, d in texts]))
                    parse_module.citekeys = lambda text, line: []
                    without_scan.append(timed(lambda: [parse_note(p, d) for p, d in texts]))
                    parse_module.citekeys = original
            finally:
                parse_module.citekeys = original
                gc.enable()

            _, warm_cpu = median(warm)

            def line(name: str, samples, share: bool = False) -> None:
                wall, cpu = median(samples)
                extra = f"  = {cpu / warm_cpu:6.1%} of the warm load (CPU)" if share else ""
                print(f"{name:<44} wall {wall * 1e3:8.1f} ms  cpu {cpu * 1e3:8.1f} ms{extra}")

            line("warm load (parse cache)", warm)
            line(f"group {len(works.works)} works, no bibliography", bare, share=True)
            line("  + every conflict", full_bare, share=True)
            line(f"group with references.bib ({entries} entries)", with_bib, share=True)
            line("  + every conflict and misattribution", full, share=True)
            line("cite:Kim lookup (notes_citing)", lookups)
            line("app: a cited note's page after a change", first_pages)
            line("app: the same page again (works kept)", next_pages)
            line("cold parse of every note, [@key] scan on", with_scan)
            line("cold parse of every note, [@key] scan off", without_scan)
            scan_on, scan_off = median(with_scan)[1], median(without_scan)[1]
            print(f"parser cost of the [@key] scan: {(scan_on - scan_off) / scan_off:+.1%} CPU")
            conflicts = sum(len(w.conflicts) for w in works.works)
            wrong = sum(len(w.misattributions) for w in authority.works)
            print(
                f"found: {conflicts} conflicts (no bibliography), {wrong} misattributions (with it)"
            )
            print(
                "grouping is lazy: a vault load does not group, so the warm load itself is unchanged"
            )
        finally:
            if args.dir is not None:  # a temporary vault goes with its bibliography
                (root / "references.bib").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
