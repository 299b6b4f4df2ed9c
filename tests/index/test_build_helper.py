"""A large build hands part of the notes to a helper process (``build_helper.py``): the
index it gives answers exactly as a one-process build, its manifest knows every note,
and a helper that fails costs only time."""

from __future__ import annotations

import os

import pytest
from index_helpers import write_note

from notebase.core import helper_process
from notebase.index import build_helper, index_folder
from notebase.index import writer as index_writer

QUERIES = [
    "메타러닝",
    "gradient",
    "tag:ml",
    '"내부 루프"',
    "빛",
    "title:노트",
    "path:sub/",
    "-tag:ml 노트",
]


def _write_vault(vault, count: int = 60) -> None:
    for i in range(count):
        tag = "ml" if i % 3 == 0 else "cs"
        body = f"메타러닝에서는 내부 루프가 {i}번 돈다. gradient step {i}. 밝은 빛 공해 {i % 7}\n"
        write_note(
            vault, f"{'sub/' if i % 4 == 0 else ''}n{i:03}.md", body, title=f"노트 {i}", tags=[tag]
        )


def _answers(index) -> dict:
    return {q: [(h.path, round(h.score, 6)) for h in index.search(q, limit=100)] for q in QUERIES}


def _helpers_started(monkeypatch) -> list:
    started = []
    original = build_helper.Helper.__init__

    def spy(self, folder, config, files):
        started.append(len(files))
        original(self, folder, config, files)

    original_result = build_helper.Helper.result

    def result(self):
        answer = original_result(self)
        started.append("answered" if answer is not None else "failed")
        return answer

    monkeypatch.setattr(build_helper.Helper, "__init__", spy)
    monkeypatch.setattr(build_helper.Helper, "result", result)
    return started


def test_a_helped_build_answers_as_a_one_process_build(vault, open_vault_index, monkeypatch):
    _write_vault(vault)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10**9)
    alone = open_vault_index()
    stats = alone.update()
    expected = _answers(alone)
    alone.close()

    started = _helpers_started(monkeypatch)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    helped = open_vault_index()
    rebuilt = helped.rebuild()
    assert started == [30, "answered"]  # half of the notes went to the helper
    assert (rebuilt.notes, rebuilt.added, rebuilt.invalid) == (stats.notes, 60, 0)
    assert _answers(helped) == expected
    assert all(expected.values())
    assert helped.update().added == 0  # the manifest knows the helper's notes

    reopened = open_vault_index(verify=True)  # the segment files are the ones recorded
    assert _answers(reopened) == expected
    assert not any(name.endswith(".tmp") for name in os.listdir(index_folder(vault)))


def test_a_build_larger_than_a_chunk_commits_the_helper_with_the_first_chunk(
    vault, open_vault_index, monkeypatch
):
    _write_vault(vault, 50)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(index_writer, "CHUNK_DOCUMENTS", 10)
    started = _helpers_started(monkeypatch)
    index = open_vault_index()
    stats = index.update()
    assert started == [10, "answered"]
    assert (stats.notes, stats.added) == (50, 50)
    assert len(index.search("메타러닝", limit=100)) == 50
    assert index.update().added == 0


@pytest.mark.parametrize("failure", ["crash", "garbage", "cannot start"])
def test_a_failed_helper_costs_only_time(
    vault, open_vault_index, monkeypatch, helper_fails, failure
):
    _write_vault(vault, 40)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    helper_fails(failure)
    started = _helpers_started(monkeypatch)
    index = open_vault_index()
    stats = index.update()
    assert started == [20, "failed"]
    assert (stats.notes, stats.added) == (40, 40)
    assert len(index.search("메타러닝", limit=100)) == 40
    assert index.update().added == 0


def test_small_builds_and_updates_start_no_helper(vault, open_vault_index, monkeypatch):
    _write_vault(vault, 30)
    started = _helpers_started(monkeypatch)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    index = open_vault_index()
    index.update()  # below MIN_NOTES
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    for i in range(12):
        write_note(vault, f"new{i}.md", "새 노트\n", title=f"new {i}")
    assert index.update().added == 12  # an update of an index with notes
    assert started == []


def test_this_process_writes_its_segment_before_it_waits_for_the_helper(
    vault, open_vault_index, monkeypatch
):
    _write_vault(vault, 40)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    terms_files = []
    original_result = build_helper.Helper.result

    def result(self):
        answer = original_result(self)  # the helper has ended: its segment is on disk
        folder = index_folder(vault)
        terms_files.append(
            sum(
                1
                for name in os.listdir(folder)
                if name.endswith(".trm") and os.path.getsize(folder / name) > 0
            )
        )
        return answer

    monkeypatch.setattr(build_helper.Helper, "result", result)
    index = open_vault_index()
    stats = index.update()
    # Written: the helper's segment and this process's (not yet committed).
    assert terms_files == [2]
    assert (stats.notes, stats.added, index.segment_count()) == (40, 40, 2)
    assert len(index.search("메타러닝", limit=100)) == 40
    assert index.update().added == 0
