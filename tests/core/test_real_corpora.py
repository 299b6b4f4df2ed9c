"""The public Obsidian Help vaults (Korean and English): every note valid, only the
genuinely broken links reported. Skipped when ../shared is absent."""

from __future__ import annotations

import pytest

from notebase.core.vault import Vault

# Each of these is broken in the real vault (checked by hand, see the report):
# - "Example" / "Example.md": illustrative links in the page about links; no such note.
# - 캔버스: the Canvas page is "플러그인/Canvas.md" and has no alias 캔버스.
# - "Airtable에서 들여오기": the file is "Airtable에서 가져오기.md" (translation mismatch).
# - "각주 보기": the page is "플러그인/각주 뷰.md", aliases only "Footnotes view".
EXPECTED_BROKEN = {
    "ko": [
        ("노트 및 파일 링크/내부 링크.md", "Example"),
        ("노트 및 파일 링크/내부 링크.md", "Example"),
        ("노트 및 파일 링크/내부 링크.md", "Example"),
        ("노트 및 파일 링크/내부 링크.md", "Example"),
        ("노트 및 파일 링크/내부 링크.md", "Example.md"),
        ("노트 및 파일 링크/내부 링크.md", "Example.md"),
        ("노트 및 파일 링크/파일 임베드.md", "캔버스"),
        ("시작하기/노트 들여오기.md", "Airtable에서 들여오기"),
        ("편집 및 서식/기본 서식 구문.md", "각주 보기"),
    ],
    "en": [("Linking notes and files/Internal links.md", "Example")] * 4
    + [("Linking notes and files/Internal links.md", "Example.md")] * 2,
}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_obsidian_help_vault(shared_dir, language):
    root = shared_dir / "corpora" / f"obsidian-help-{language}"
    if not root.is_dir():
        pytest.skip(f"{root} is not present")
    vault = Vault.load(root, use_cache=False)  # never write into ../shared
    report = vault.check()
    assert report["notes"] == 173
    assert report["invalid_notes"] == []
    assert [(b["note"], b["target"]) for b in report["broken_links"]] == EXPECTED_BROKEN[language]
    links = [link for note in vault.notes.values() for link in note.links]
    assert len(links) > 1700
    # attachments were left out of the corpus: all reported apart, none as broken note links
    assert report["missing_attachments"]
    assert all(
        m["target"].rsplit(".", 1)[-1]
        in {"svg", "png", "jpg", "jpeg", "mp4", "ogg", "webp", "gif", "pdf", "base", "canvas"}
        for m in report["missing_attachments"]
    )
    # code blocks in the corpus contain link-like text and footnote syntax: none counted
    assert report["undefined_footnotes"] == [] and report["unused_footnotes"] == []
    assert not any(link.target in ("Document.pdf", "My canvas.canvas") for link in links)


def test_korean_corpus_links_by_heading_alias_and_embed(shared_dir):
    root = shared_dir / "corpora" / "obsidian-help-ko"
    if not root.is_dir():
        pytest.skip(f"{root} is not present")
    vault = Vault.load(root, use_cache=False)
    kinds = {"heading": 0, "label": 0, "embed": 0}
    for note in vault.notes.values():
        for link in note.links:
            if link.resolved and not link.is_attachment:
                kinds["heading"] += link.heading is not None
                kinds["label"] += link.label is not None
                kinds["embed"] += link.embed
    assert all(count > 10 for count in kinds.values()), kinds
    assert all(vault.backlinks(path) for path in ("플러그인/Canvas.md",))
