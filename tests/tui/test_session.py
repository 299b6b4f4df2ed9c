"""The app's view of the vault: lists, questions, and search without an index."""

from __future__ import annotations

from notebase.tui.session import VaultSession

from .conftest import write_vault


def test_search_falls_back_to_a_scan_until_the_index_is_open(tmp_path):
    vault, experiments = write_vault(tmp_path)
    session = VaultSession(vault, experiments)
    session.load()
    assert session.index is None
    assert [r.path for r in session.search("tag:ml/meta 이계")] == ["알고리즘/MAML.md"]
    assert [r.path for r in session.search("산책")] == ["일기.md"]
    assert session.search("   ") == []
    assert session.open_index() is None
    assert [r.path for r in session.search("산책")] == ["일기.md"]
    session.close()


def test_rows_are_sorted_by_title_and_narrowed_by_nested_tag(tmp_path):
    vault, experiments = write_vault(tmp_path)
    session = VaultSession(vault, experiments)
    session.load()
    assert [r.title for r in session.rows()] == [
        "MAML",
        "메타러닝의 계산 비용",
        "오늘의 일기",
        "일차 근사",
    ]
    assert [r.path for r in session.rows("ml/meta/maml")] == ["알고리즘/MAML.md"]
    assert session.backlinks("알고리즘/MAML.md") == ["메타러닝의 비용.md", "알고리즘/일차 근사.md"]
    assert session.find("meta cost") == "메타러닝의 비용.md"  # an alias
    assert session.find("없는 노트") is None
    note = session.note("메타러닝의 비용.md")
    assert session.linked_experiments(note) == ["tiny"]
    assert session.spec_path("tiny") == experiments / "tiny.toml"
    path, error = session.find_spec("없음")
    assert path is None and "없음" in error
