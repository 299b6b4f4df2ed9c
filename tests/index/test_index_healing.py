"""Issue 11, defect 12: broken index segment files (truncated or zeroed ``.trm``, ``.pst``,
``_stored.col``, ``*_len.col``) are found and the index rebuilt with a one-line notice,
by ``notebase index`` and by ``notebase search``; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_helpers import write_note

from notebase.cli import main
from notebase.index import index_folder

KINDS = [".trm", ".pst", "._stored.col", "._title_len.col"]


@pytest.fixture
def indexed(vault, capsys) -> Path:
    write_note(vault, "a.md", "메타러닝 비용에 관한 노트\n", title="메타러닝 비용", tags=["ml"])
    write_note(vault, "b.md", "수면 부채는 쌓인다\n", title="수면")
    write_note(vault, "c.md", "Reptile is a first-order meta-learning method\n", title="Reptile")
    assert main(["--vault", str(vault), "index"]) == 0
    capsys.readouterr()
    return vault


def _break(vault: Path, kind: str, how: str) -> Path:
    [path] = [p for p in index_folder(vault).iterdir() if p.name.endswith(kind)]
    size = path.stat().st_size
    if how == "truncated":
        with open(path, "r+b") as handle:
            handle.truncate(size // 2)
    else:
        path.write_bytes(b"\0" * size)
    return path


def _run(capsys, vault: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--vault", str(vault), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_healed(capsys, vault: Path, err: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and "rebuilding it" in lines[0], err
    assert "Traceback" not in err
    code, out, err = _run(capsys, vault, "search", "메타러닝")
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("a.md  메타러닝 비용")
    code, out, err = _run(capsys, vault, "index")
    assert (code, err) == (0, "") and out.startswith("3 notes indexed (0 added")


@pytest.mark.parametrize("how", ["truncated", "zeroed"])
@pytest.mark.parametrize("kind", KINDS)
def test_index_finds_and_heals_a_broken_segment_file(indexed, capsys, kind, how):
    _break(indexed, kind, how)
    code, out, err = _run(capsys, indexed, "index")
    assert code == 0, err
    assert out.startswith("3 notes indexed")
    _assert_healed(capsys, indexed, err)


@pytest.mark.parametrize(
    ("kind", "how"),
    [
        (".trm", "truncated"),
        (".trm", "zeroed"),
        (".pst", "zeroed"),
        ("._stored.col", "truncated"),
        ("._stored.col", "zeroed"),
        ("._title_len.col", "truncated"),
    ],
)
def test_search_finds_and_heals_a_broken_segment_file(indexed, capsys, kind, how):
    # (A zeroed _len.col only skews scores; whoosh reads it without complaint, and
    # its size is right: `notebase index`, which checks every byte, finds it.)
    _break(indexed, kind, how)
    code, out, err = _run(capsys, indexed, "search", "메타러닝")
    assert code == 0, err
    assert out.splitlines()[0].startswith("a.md  메타러닝 비용")
    _assert_healed(capsys, indexed, err)


def test_whoosh_failing_during_an_update_is_healed(indexed, open_vault_index, messages):
    index = open_vault_index()
    _break(indexed, ".trm", "zeroed")  # after opening: found only when whoosh reads it
    write_note(indexed, "b.md", "수면 부채는 메타러닝과 무관하다\n", title="수면")
    stats = index.update()
    assert len(messages) == 1 and "damaged" in messages[0] and "rebuilding" in messages[0]
    assert stats.notes == 3
    assert sorted(h.path for h in index.search("메타러닝")) == ["a.md", "b.md"]


def test_a_missing_segment_file_is_healed(indexed, capsys):
    _break(indexed, ".pst", "zeroed").unlink()
    code, out, err = _run(capsys, indexed, "search", "메타러닝")
    assert code == 0 and "missing" in err
    _assert_healed(capsys, indexed, err)


def test_a_healthy_index_is_opened_quietly_and_not_rebuilt(indexed, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in index_folder(indexed).iterdir()}
    code, _, err = _run(capsys, indexed, "search", "메타러닝")
    assert (code, err) == (0, "")
    code, out, err = _run(capsys, indexed, "index")
    assert (code, err) == (0, "") and "(0 added, 0 updated" in out
    after = {p.name: p.stat().st_mtime_ns for p in index_folder(indexed).iterdir()}
    assert after == before
