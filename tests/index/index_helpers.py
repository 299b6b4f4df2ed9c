"""Helpers shared by the index tests (imported as a plain module)."""

from __future__ import annotations

from pathlib import Path


def write_note(
    vault: Path,
    rel: str,
    body: str,
    *,
    title: str | None = None,
    tags: list[str] | None = None,
    aliases: list[str] | None = None,
) -> Path:
    """Write a note with frontmatter; returns its path."""
    lines = ["---"]
    if title is not None:
        lines.append(f"title: {title}")
    if tags is not None:
        lines.append("tags: [" + ", ".join(tags) + "]")
    if aliases is not None:
        lines.append("aliases: [" + ", ".join(aliases) + "]")
    lines.append("---")
    path = vault / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return path


def paths(hits) -> list[str]:
    return [hit.path for hit in hits]


def whoosh_ranking(searcher, query, limit: int | None = None) -> list[tuple[int, float]]:
    """``[(docnum, score)]`` of whoosh's own full ranking of ``query`` (score descending,
    then note number), the first ``limit``: what ``ranking.ranked_docs`` must give."""
    every = [(hit.docnum, hit.score) for hit in searcher.search(query, limit=None)]
    return sorted(every, key=lambda item: (-item[1], item[0]))[:limit]
