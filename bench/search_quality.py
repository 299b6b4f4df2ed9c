"""Retrieval quality of notebase's Korean-aware search next to whoosh's default analyser.

Two corpora:

1. ``../shared/bench/korean_queries.json``: its hand-written gold notes mixed into
   ``gen_vault.py --n 2000 --seed 42``; 43 labelled text queries and 4 tag queries with the
   complete set of expected notes.
2. ``../shared/corpora/obsidian-help-ko`` (173 real Korean notes): known-item queries made
   from each Korean title, (a) every title word given a particle (``노트 동기화`` ->
   ``노트를 동기화를``... as people type them) and (b) the title with its spaces removed.
   The expected note is the one the title came from.

Engines, both whoosh with the same fields and boosts (title 3, aliases 3, text 1):

- ``notebase``: ``notebase.index`` as shipped (Hangul bigrams, a word = all its bigrams);
- ``notebase, word as phrase``: the same with a word's bigrams required to be adjacent;
- ``StandardAnalyzer``: whoosh's default analyser and ``MultifieldParser`` (AND).

Prints recall@5, recall@10 and MRR (reciprocal rank of the first expected note in the top
10, else 0). Run: ``.venv/bin/python bench/search_quality.py`` (about a minute).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QUERIES_FILE = SHARED / "bench" / "korean_queries.json"
GEN_VAULT = SHARED / "bench" / "gen_vault.py"
HELP_KO = SHARED / "corpora" / "obsidian-help-ko"


def write_gold_notes(vault: Path, gold_notes: list[dict]) -> dict[str, str]:
    """Gold notes as files in ``gold/``; returns path -> gold id."""
    ids = {}
    for gold in gold_notes:
        rel = f"gold/{gold['id']}.md"
        front = [
            "---",
            f"title: {json.dumps(gold['title'], ensure_ascii=False)}",
            f"tags: {json.dumps(gold['tags'], ensure_ascii=False)}",
            f"aliases: {json.dumps(gold['aliases'], ensure_ascii=False)}",
            "---",
            f"# {gold['title']}",
            "",
        ]
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(front) + gold["content"], encoding="utf-8")
        ids[rel] = gold["id"]
    return ids


# --- engines ------------------------------------------------------------------------


class NotebaseEngine:
    def __init__(self, vault: Path, word_as_phrase: bool = False) -> None:
        from notebase.index import open_index

        self.word_as_phrase = word_as_phrase
        self.index = open_index(vault, on_message=lambda m: None)
        started = time.perf_counter()
        self.index.update()
        self.build_seconds = time.perf_counter() - started

    def search(self, text: str, limit: int = 10) -> list[str]:
        from notebase.index import query

        query.WORD_AS_PHRASE = self.word_as_phrase
        try:
            return [hit.path for hit in self.index.search(text, limit=limit)]
        finally:
            query.WORD_AS_PHRASE = False

    def search_tag(self, tag: str, limit: int = 10) -> list[str]:
        return self.search(f"tag:{tag}", limit)


class StandardEngine:
    """whoosh out of the box: StandardAnalyzer, MultifieldParser, raw tags (no parents)."""

    def __init__(self, vault: Path, folder: Path) -> None:
        from whoosh import index as whoosh_index
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, KEYWORD, TEXT, Schema
        from whoosh.qparser import MultifieldParser

        from notebase.core.parse import parse_note
        from notebase.index.whoosh_index import scan_note_files

        analyzer = StandardAnalyzer()
        schema = Schema(
            path=ID(stored=True, unique=True),
            title=TEXT(analyzer=analyzer),
            aliases=TEXT(analyzer=analyzer),
            content=TEXT(analyzer=analyzer),
            tags=KEYWORD(lowercase=True, commas=True),
        )
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.ix = whoosh_index.create_in(str(folder), schema)
        writer = self.ix.writer(limitmb=256)
        for file in scan_note_files(vault, _config(vault)):
            note = parse_note(file.path, Path(file.abs_path).read_bytes())
            aliases = "\n".join(note.aliases)
            writer.add_document(
                path=note.path,
                title=note.title,
                aliases=aliases,
                content=f"{note.title}\n{aliases}\n{note.body}",
                tags=",".join(note.tags),
            )
        writer.commit()
        self.build_seconds = time.perf_counter() - started
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(
            ["title", "aliases", "content"],
            schema,
            fieldboosts={"title": 3.0, "aliases": 3.0, "content": 1.0},
        )

    def search(self, text: str, limit: int = 10) -> list[str]:
        query = self.parser.parse(text)
        return [hit["path"] for hit in self.searcher.search(query, limit=limit)]

    def search_tag(self, tag: str, limit: int = 10) -> list[str]:
        from whoosh.query import Term

        return [hit["path"] for hit in self.searcher.search(Term("tags", tag.lower()), limit=limit)]


def _config(vault: Path):
    from notebase.config import VaultConfig

    return VaultConfig.load(vault)


# --- metrics ------------------------------------------------------------------------


def evaluate(results: list[tuple[list[str], set[str]]]) -> dict[str, float]:
    """recall@5, recall@10 (share of expected notes found, averaged) and MRR@10."""
    recall5, recall10, reciprocal = [], [], []
    for ranked, expected in results:
        recall5.append(len(expected & set(ranked[:5])) / len(expected))
        recall10.append(len(expected & set(ranked[:10])) / len(expected))
        first = next((rank for rank, item in enumerate(ranked[:10], 1) if item in expected), None)
        reciprocal.append(1.0 / first if first else 0.0)
    return {
        "recall@5": statistics.fmean(recall5),
        "recall@10": statistics.fmean(recall10),
        "MRR": statistics.fmean(reciprocal),
        "queries": len(results),
    }


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'engine':28s} {'recall@5':>9s} {'recall@10':>10s} {'MRR':>6s} {'queries':>8s}")
    for name, metrics in rows.items():
        print(
            f"  {name:28s} {metrics['recall@5']:9.3f} {metrics['recall@10']:10.3f} "
            f"{metrics['MRR']:6.3f} {metrics['queries']:8d}"
        )


# --- corpus 1: korean_queries.json --------------------------------------------------


def korean_queries_bench(work: Path) -> None:
    spec = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    vault = work / "kq-vault"
    subprocess.run(
        [sys.executable, str(GEN_VAULT), str(vault), "--n", "2000", "--seed", "42"],
        check=True,
        capture_output=True,
    )
    ids = write_gold_notes(vault, spec["corpus"]["gold_notes"])
    ours = NotebaseEngine(vault)
    standard = StandardEngine(vault, work / "kq-standard")
    print(
        f"korean_queries.json corpus: {len(ids)} gold + 2000 generated notes "
        f"(build: notebase {ours.build_seconds:.1f} s, StandardAnalyzer "
        f"{standard.build_seconds:.1f} s)"
    )
    engines = {
        "notebase": ours.search,
        "notebase, word as phrase": lambda q, limit=10: ours.__class__.search(
            _phrase_view(ours), q, limit
        ),
        "StandardAnalyzer": standard.search,
    }
    rows = {}
    per_query: dict[str, dict[str, float]] = {}
    for name, search in engines.items():
        results = []
        for query in spec["queries"]:
            ranked = [ids.get(p, p) for p in search(query["query"], limit=10)]
            expected = set(query["expected"])
            results.append((ranked, expected))
            per_query.setdefault(query["id"], {})[name] = evaluate([(ranked, expected)])["MRR"]
        rows[name] = evaluate(results)
    print_table("text queries (korean_queries.json)", rows)
    by_lang: dict[str, dict[str, dict[str, float]]] = {}
    for lang in sorted({q["lang"] for q in spec["queries"]}):
        subset = [q for q in spec["queries"] if q["lang"] == lang]
        by_lang[lang] = {}
        for name, search in engines.items():
            by_lang[lang][name] = evaluate(
                [
                    ([ids.get(p, p) for p in search(q["query"], limit=10)], set(q["expected"]))
                    for q in subset
                ]
            )
        print_table(f"  ... only lang={lang}", by_lang[lang])
    tag_rows = {}
    for name, engine in (("notebase", ours), ("StandardAnalyzer (raw tags)", standard)):
        tag_rows[name] = evaluate(
            [
                ([ids.get(p, p) for p in engine.search_tag(t["tag"])], set(t["expected"]))
                for t in spec["tag_queries"]
            ]
        )
    print_table("tag queries", tag_rows)
    missed = [
        f"{q['id']} {q['query']!r} ({q['phenomenon']})"
        for q in spec["queries"]
        if per_query[q["id"]]["notebase"] == 0.0
    ]
    print("\nqueries notebase misses in the top 10:", "; ".join(missed) or "none")
    ours.index.close()


def _phrase_view(engine: NotebaseEngine) -> NotebaseEngine:
    view = object.__new__(NotebaseEngine)
    view.index = engine.index
    view.word_as_phrase = True
    return view


# --- corpus 2: obsidian-help-ko -----------------------------------------------------

_HANGUL_WORD = re.compile("[\uac00-\ud7a3]{2,}")


def _with_particle(word: str) -> str:
    last = word[-1]
    batchim = "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28 != 0
    return word + ("을" if batchim else "를")


def help_ko_bench(work: Path) -> None:
    vault = work / "help-ko"
    shutil.copytree(HELP_KO, vault)
    ours = NotebaseEngine(vault)
    standard = StandardEngine(vault, work / "help-ko-standard")
    from notebase.index.whoosh_index import scan_note_files

    titles = {}
    for file in scan_note_files(vault, _config(vault)):
        title = Path(file.path).stem
        if len(_HANGUL_WORD.findall(title)) >= 1:
            titles[file.path] = title
    variants = {
        "title words + particle": lambda t: " ".join(
            _with_particle(w) if _HANGUL_WORD.fullmatch(w) else w for w in t.split()
        ),
        "title without spaces": lambda t: re.sub(
            r"(?<=[\uac00-\ud7a3]) +(?=[\uac00-\ud7a3])", "", t
        ),
    }
    print(f"\nobsidian-help-ko: {len(titles)} known-item queries per variant from Korean titles")
    for variant, make in variants.items():
        rows = {}
        for name, search in (("notebase", ours.search), ("StandardAnalyzer", standard.search)):
            results = []
            for path, title in titles.items():
                try:
                    ranked = search(make(title), limit=10)
                except Exception:  # a title the standard parser cannot read
                    ranked = []
                results.append((ranked, {path}))
            rows[name] = evaluate(results)
        print_table(f"obsidian-help-ko, {variant} (e.g. {make('노트 연결하기')!r})", rows)
    ours.index.close()


def main() -> int:
    if not QUERIES_FILE.exists():
        print(f"{QUERIES_FILE} not found: run next to ../shared", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="notebase-quality-") as tmp:
        work = Path(tmp)
        korean_queries_bench(work)
        if HELP_KO.is_dir():
            help_ko_bench(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
