"""`notebase index` and `notebase search` end to end on a tmp vault."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from notebase.cli import main


def _note(vault: Path, rel: str, title: str, tags: list[str], body: str) -> Path:
    path = vault / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\ntitle: {title}\ntags: [{', '.join(tags)}]\n---\n# {title}\n\n{body}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "노트"
    _note(
        root,
        "ml/메타러닝.md",
        "메타 러닝 입문",
        ["ml/meta", "초안"],
        "메타러닝에서는 그라디언트를 두 번 미분한다.",
    )
    _note(root, "life/수면.md", "수면 부채", ["life/health"], "수면부채(sleep debt)는 쌓인다.")
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_json_then_nothing_to_do(vault, capsys):
    code, out, _ = _run(capsys, "--vault", str(vault), "index", "--json")
    first = json.loads(out)
    assert code == 0
    assert {k: first[k] for k in ("notes", "added", "updated", "removed", "invalid")} == {
        "notes": 2,
        "added": 2,
        "updated": 0,
        "removed": 0,
        "invalid": 0,
    }
    assert isinstance(first["seconds"], float)
    code, out, _ = _run(capsys, "--vault", str(vault), "index", "--json")
    assert json.loads(out)["added"] == 0


def test_index_rebuild_counts_every_note_as_added(vault, capsys):
    _run(capsys, "--vault", str(vault), "index")
    code, out, _ = _run(capsys, "--vault", str(vault), "index", "--rebuild", "--json")
    assert code == 0 and json.loads(out)["added"] == 2


def test_search_json_finds_particle_attached_words_and_sees_new_notes(vault, capsys):
    code, out, _ = _run(capsys, "--vault", str(vault), "search", "메타러닝", "--json")
    hits = json.loads(out)
    assert code == 0
    assert [h["path"] for h in hits] == ["ml/메타러닝.md"]
    assert set(hits[0]) == {"path", "title", "score", "snippet"}
    assert hits[0]["title"] == "메타 러닝 입문" and "«" in hits[0]["snippet"]
    # A note written after the first search is found by the next one (incremental check).
    _note(vault, "new.md", "새 노트", ["ml"], "메타러닝 복습")
    _, out, _ = _run(capsys, "--vault", str(vault), "search", "tag:ml", "메타러닝", "--json")
    assert sorted(h["path"] for h in json.loads(out)) == ["ml/메타러닝.md", "new.md"]


def test_search_limit_and_text_output(vault, capsys):
    code, out, _ = _run(
        capsys, "--vault", str(vault), "search", "tag:초안 OR tag:life", "--limit", "1"
    )
    assert code == 0
    assert len([line for line in out.splitlines() if not line.startswith("    ")]) == 1


def test_no_match_is_not_an_error(vault, capsys):
    code, out, err = _run(capsys, "--vault", str(vault), "search", "존재하지않는단어")
    assert code == 0 and out == "" and "no notes match" in err
    code, out, _ = _run(capsys, "--vault", str(vault), "search", "존재하지않는단어", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize("query", ['"unclosed phrase', "nofield:x"])
def test_bad_query_is_one_line_exit_2(vault, capsys, query):
    code, out, err = _run(capsys, "--vault", str(vault), "search", query)
    assert code == 2 and out == ""
    assert err.startswith("notebase: ") and err.count("\n") == 1


def test_missing_vault_is_one_line_exit_2(tmp_path, capsys):
    code, _, err = _run(capsys, "--vault", str(tmp_path / "nope"), "search", "x")
    assert code == 2 and "vault folder" in err and "does not exist" in err


def test_new_process_end_to_end(vault):
    """The real entry point in a fresh process: build on first search, --json on stdout
    only, the damaged-index notice on stderr."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}

    def run(*argv):
        return subprocess.run(
            [sys.executable, "-m", "notebase", "--vault", str(vault), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    result = run("search", "수면 부채", "--json")
    assert result.returncode == 0, result.stderr
    assert [h["path"] for h in json.loads(result.stdout)] == ["life/수면.md"]
    for seg in (vault / ".notebase" / "index").glob("*.seg"):
        seg.write_bytes(b"garbage")
    for toc in (vault / ".notebase" / "index").glob("*.toc"):
        toc.write_bytes(b"garbage")
    result = run("search", "tag:life", "--json")
    assert result.returncode == 0, result.stderr
    assert [h["path"] for h in json.loads(result.stdout)] == ["life/수면.md"]
    assert "rebuilding" in result.stderr and "Traceback" not in result.stderr


def test_text_output_says_how_many_notes_match_beyond_the_limit(tmp_path, capsys):
    root = tmp_path / "많은 노트"
    for number in range(73):
        _note(root, f"n{number:02d}.md", f"노트 {number}", ["많음"], f"공통단어 {number}번 문장.")
    _note(root, "other.md", "다른 노트", [], "상관없는 내용.")
    code, out, err = _run(capsys, "--vault", str(root), "search", "공통단어")
    assert code == 0
    assert len([line for line in out.splitlines() if not line.startswith("    ")]) == 20
    assert "showing 20 of 73 matching notes" in err
    _, out, err = _run(capsys, "--vault", str(root), "search", "공통단어", "--limit", "100")
    assert len([line for line in out.splitlines() if not line.startswith("    ")]) == 73
    assert err == ""  # every match listed: nothing to add
    # --json stays the documented list of hits, nothing else on stdout
    _, out, _ = _run(capsys, "--vault", str(root), "search", "공통단어", "--json")
    assert len(json.loads(out)) == 20
