"""The app's session, called as its workers call it: listings, pages, changes, search."""

from __future__ import annotations

import os

import pytest

from notebase.core import vault as vault_module
from notebase.errors import UserError
from notebase.tui.session import SearchUnavailable, VaultSession

from .conftest import write_vault

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"


@pytest.fixture
def session(tmp_path):
    vault, experiments = write_vault(tmp_path)
    session = VaultSession(vault, experiments)
    session.load()
    yield session
    session.close()


def test_search_says_the_index_is_loading_until_it_is_open(session):
    with pytest.raises(SearchUnavailable, match="loading"):
        session.search("산책")
    assert session.search("   ") == []
    assert session.open_index() is None
    assert session.index_state == "ready"
    assert [r.path for r in session.search("산책")] == ["일기.md"]
    assert [r.path for r in session.search("tag:ml/meta 이계")] == [MAML]
    with pytest.raises(UserError):
        session.search('"unclosed')


def test_search_says_why_when_the_index_cannot_be_opened(session):
    (session.vault_root / ".notebase").mkdir(exist_ok=True)
    (session.vault_root / ".notebase" / "index").write_text("not a folder", encoding="utf-8")
    assert session.open_index() is not None
    assert session.index_state == "unavailable"
    with pytest.raises(SearchUnavailable, match="unavailable"):
        session.search("산책")


def test_listing_is_sorted_by_title_and_narrowed_by_nested_tag(session):
    listing = session.listing(None)
    assert [r.title for r in listing.rows] == [
        "MAML",
        "메타러닝의 계산 비용",
        "오늘의 일기",
        "일차 근사",
    ]
    assert listing.note_count == 4 and listing.invalid == []
    assert ("ml/meta", 3) in listing.tag_counts
    assert [r.path for r in session.listing("ml/meta/maml").rows] == [MAML]
    assert session.has_note(COST) and not session.has_note("없는 노트.md")


def test_page_holds_what_the_note_screen_shows(session):
    page = session.note_page(COST)
    assert page.title == "메타러닝의 계산 비용" and page.tags == ("ml/meta", "비용")
    assert "[MAML](note:" in page.markdown
    assert [(link.path, link.title) for link in page.links] == [
        (MAML, "MAML"),
        ("알고리즘/일차 근사.md", "일차 근사"),
    ]
    assert session.note_page(MAML).backlinks == (
        (COST, "메타러닝의 계산 비용"),
        ("알고리즘/일차 근사.md", "일차 근사"),
    )
    assert page.footnotes[0].year == 2017 and "Finn" in page.footnotes[0].authors[0]
    assert [q.number for q in page.questions] == [1, 2]
    assert page.linked_experiments == ["tiny"]
    assert page.experiments[0].spec_path == session.experiments_dir / "tiny.toml"
    assert session.note_page("없는 노트.md") is None
    path, error = session.find_spec("없음")
    assert path is None and "없음" in error


def test_a_spec_edited_on_disk_is_read_again(session):
    spec = session.experiments_dir / "tiny.toml"
    assert session.find_spec("tiny")[0] == spec
    spec.write_text("name = 'tiny'\n[params\n", encoding="utf-8")  # now broken TOML
    os.utime(spec, ns=(1, 1))  # a different time even on a coarse clock
    path, error = session.find_spec("tiny")
    assert path is None and error


def test_a_changed_note_is_re_read_alone_and_other_rows_stay_the_same_objects(session):
    listing = session.listing(None)
    before = {row.path: row for row in listing.rows}
    note = session.vault_root / COST
    note.write_text(
        note.read_text(encoding="utf-8").replace("title: 메타러닝의 계산 비용", "title: 비용 노트"),
        encoding="utf-8",
    )
    update = session.apply_changes([note], tag=None, open_path=MAML)
    assert update.changed == [COST]
    rows = {row.path: row for row in update.listing.rows}
    assert rows[COST].title == "비용 노트" and rows[COST] is not before[COST]
    assert all(rows[path] is before[path] for path in rows if path != COST)
    # The open note's page is rebuilt: its backlink shows the new title.
    assert (COST, "비용 노트") in update.page.backlinks
    assert update.listing.generation > listing.generation  # the screen drops older ones


def test_deleted_added_and_ignored_files(session):
    root = session.vault_root
    (root / "일기.md").unlink()
    (root / "새 노트.md").write_text("---\ntitle: 새 노트\n---\n본문\n", encoding="utf-8")
    update = session.apply_changes([root / "일기.md", root / "새 노트.md"], open_path="일기.md")
    assert update.changed == ["새 노트.md", "일기.md"]
    assert update.page is None and update.page_path == "일기.md"
    assert "새 노트.md" in [r.path for r in update.listing.rows]
    assert "일기.md" not in [r.path for r in update.listing.rows]
    # An editor's temporary file that is gone already, and a note in a hidden folder.
    (root / ".trash").mkdir()
    (root / ".trash" / "old.md").write_text("x", encoding="utf-8")
    assert session.apply_changes([root / "4913", root / ".trash" / "old.md"]) is None


def test_a_moved_folder_re_scans_the_vault(session):
    root = session.vault_root
    (root / "알고리즘").rename(root / "방법")
    update = session.apply_changes([root / "알고리즘", root / "방법"])
    paths = [r.path for r in update.listing.rows]
    assert "방법/MAML.md" in paths and MAML not in paths
    assert [link.path for link in session.note_page(COST).links][0] == "방법/MAML.md"


def test_changes_are_saved_to_the_notes_cache_on_close(tmp_path, monkeypatch):
    vault, experiments = write_vault(tmp_path)
    session = VaultSession(vault, experiments)
    session.load()
    note = vault / COST
    note.write_text(note.read_text(encoding="utf-8") + "\n한 줄 더\n", encoding="utf-8")
    session.apply_changes([note])
    session.close()

    read: list[str] = []
    real = vault_module.read_note_file
    monkeypatch.setattr(
        vault_module,
        "read_note_file",
        lambda file, config: read.append(file.path) or real(file, config),
    )
    again = VaultSession(vault, experiments)
    again.load()
    assert read == []  # every note, the changed one too, came from the cache
    assert "한 줄 더" in again.note_page(COST).markdown
