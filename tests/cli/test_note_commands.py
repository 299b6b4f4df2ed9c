"""`notebase new | rename | delete`: output, --json shapes, --dry-run, confirmation, errors,
and the search index after a rename."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from notebase.cli import main


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".notebase" not in p.parts
    }


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    write(
        root,
        "ml/maml.md",
        "---\ntitle: MAML의 비용\naliases: [메타 비용]\n---\n# MAML의 비용\n"
        "2차 미분 비용이 핵심이다 (섭동 확인용 단어: 주파수변조).\n",
    )
    write(root, "hub.md", "# 허브\n[[maml]], [[ml/maml|비용]], [m](ml/maml.md), [[메타 비용]]\n")
    write(root, "ml/reptile.md", "# Reptile\n[[maml#비용]]\n")
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_prints_the_path(capsys, vault: Path) -> None:
    code, out, err = run(
        capsys,
        "--vault",
        str(vault),
        "new",
        "새 노트: 초안",
        "--folder",
        "ml",
        "--tag",
        "ml/meta",
        "--tag",
        "미완",
    )
    assert (code, out, err) == (0, "ml/새 노트 초안.md\n", "")
    text = (vault / "ml/새 노트 초안.md").read_text()
    assert text.startswith("---\ntitle: '새 노트: 초안'\ncreated: ")
    assert "tags: [ml/meta, 미완]\n---\n# 새 노트: 초안\n" in text


def test_new_json(capsys, vault: Path) -> None:
    code, out, _ = run(capsys, "--vault", str(vault), "new", "메모", "--json")
    assert code == 0 and json.loads(out) == {"path": "메모.md"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["new", "maml", "--folder", "ml"], "ml/maml.md already exists"),
        (["new", "x", "--folder", "../out"], "leaves the vault"),
        (["new", "x", "--template", "없음"], "no template"),
        (["new", "???"], "no file name"),
        (["rename", "nothing", "x"], "no note named"),
        (["rename", "ml/maml.md", "ml/reptile"], "already exists"),
        (["rename", "ml/maml.md", "../x"], "leaves the vault"),
        (["delete", "nothing", "--yes"], "no note named"),
        # a byte that is not UTF-8 reaches Python as a lone surrogate ($'a\xff' in a shell)
        (["new", "a\udcff"], "'a\\udcff' is not valid UTF-8"),
        (["new", "x", "--folder", "d\udcff"], "'d\\udcff' is not valid UTF-8"),
        (["rename", "메타 비용", "b\udcff"], "'b\\udcff' is not valid UTF-8"),
    ],
)
def test_mistakes_are_one_line_exit_2(capsys, vault: Path, argv: list[str], message: str) -> None:
    before = snapshot(vault)
    code, out, err = run(capsys, "--vault", str(vault), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("notebase: ") and message in err
    assert "Traceback" not in err
    assert snapshot(vault) == before


def test_rename_text(capsys, vault: Path) -> None:
    code, out, err = run(capsys, "--vault", str(vault), "rename", "메타 비용", "메타러닝 비용")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "renamed ml/maml.md -> ml/메타러닝 비용.md",
        "  ml/메타러닝 비용.md  (0 links)",
        "  hub.md  (3 links)",
        "  ml/reptile.md  (1 link)",
        "4 links in 2 files rewritten",
    ]
    assert (vault / "hub.md").read_text() == (
        "# 허브\n[[메타러닝 비용]], [[ml/메타러닝 비용|비용]], [m](ml/메타러닝%20비용.md), [[메타 비용]]\n"
    )


def test_rename_dry_run_writes_nothing(capsys, vault: Path) -> None:
    before = snapshot(vault)
    code, out, _ = run(
        capsys, "--vault", str(vault), "rename", "ml/maml.md", "새 이름", "--dry-run", "--json"
    )
    assert code == 0
    assert json.loads(out) == {
        "old": "ml/maml.md",
        "new": "ml/새 이름.md",
        "changes": [
            {"path": "ml/새 이름.md", "links": 0},
            {"path": "hub.md", "links": 3},
            {"path": "ml/reptile.md", "links": 1},
        ],
        "written": [],
        "problems": [],
        "dry_run": True,
    }
    assert snapshot(vault) == before
    code, out, _ = run(
        capsys, "--vault", str(vault), "rename", "ml/maml.md", "새 이름", "--dry-run"
    )
    assert out.splitlines()[0] == "would rename ml/maml.md -> ml/새 이름.md"
    assert out.splitlines()[-1] == "4 links in 2 files; nothing written (--dry-run)"
    assert snapshot(vault) == before


def test_rename_json(capsys, vault: Path) -> None:
    code, out, _ = run(
        capsys, "--vault", str(vault), "rename", "ml/maml.md", "archive/MAML 비용", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["new"] == "archive/MAML 비용.md"
    assert data["written"] == ["archive/MAML 비용.md", "hub.md", "ml/reptile.md"]
    assert data["dry_run"] is False
    assert (vault / "ml/reptile.md").read_text() == "# Reptile\n[[MAML 비용#비용]]\n"


def test_search_finds_the_note_under_its_new_path(capsys, vault: Path) -> None:
    code, out, _ = run(capsys, "--vault", str(vault), "search", "주파수변조", "--json")
    assert code == 0 and [hit["path"] for hit in json.loads(out)] == ["ml/maml.md"]
    run(capsys, "--vault", str(vault), "rename", "ml/maml.md", "메타러닝 비용")
    code, out, _ = run(capsys, "--vault", str(vault), "search", "주파수변조", "--json")
    assert [hit["path"] for hit in json.loads(out)] == ["ml/메타러닝 비용.md"]
    code, out, _ = run(capsys, "--vault", str(vault), "search", "path:ml/maml", "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "--vault", str(vault), "show", "메타러닝 비용", "--json")
    assert json.loads(out)["backlinks"] == ["hub.md", "ml/reptile.md"]


def test_delete_needs_yes_without_a_terminal(capsys, vault: Path, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    before = snapshot(vault)
    code, out, err = run(capsys, "--vault", str(vault), "delete", "MAML")
    assert code == 2 and out == ""
    assert err == "notebase: not deleting ml/maml.md without --yes (no terminal to ask on)\n"
    assert snapshot(vault) == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "deleted"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)]
)
def test_delete_asks_on_a_terminal(
    capsys, vault: Path, monkeypatch, answer: str, deleted: bool
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    code, out, err = run(capsys, "--vault", str(vault), "delete", "MAML")
    assert "Move ml/maml.md to .trash? [y/N]" in err
    if deleted:
        assert (code, out) == (0, ".trash/maml.md\n")
        assert (vault / ".trash/maml.md").exists() and not (vault / "ml/maml.md").exists()
    else:
        assert code == 1 and out == ""
        assert (vault / "ml/maml.md").exists() and not (vault / ".trash").exists()


def test_delete_json_and_collisions(capsys, vault: Path) -> None:
    write(vault, ".trash/maml.md", "an older one\n")
    code, out, _ = run(capsys, "--vault", str(vault), "delete", "ml/maml.md", "--yes", "--json")
    assert code == 0 and json.loads(out) == {"path": "ml/maml.md", "trash": ".trash/maml 1.md"}
    assert (vault / ".trash/maml.md").read_text() == "an older one\n"
    code, out, _ = run(capsys, "--vault", str(vault), "check", "--json")
    broken = {(b["note"], b["target"]) for b in json.loads(out)["broken_links"]}
    assert ("hub.md", "maml") in broken


def test_rename_says_which_files_changed_meanwhile_and_exits_1(
    capsys, vault: Path, monkeypatch
) -> None:
    """Another editor saves hub.md between the plan and the writes: it is left as saved."""
    from notebase.core import note_rename

    real_plan = note_rename.plan_rename

    def plan_then_edit(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        (vault / "hub.md").write_text("# 허브\n[[maml]] saved by another editor\n")
        return plan

    monkeypatch.setattr(note_rename, "plan_rename", plan_then_edit)
    code, out, err = run(capsys, "--vault", str(vault), "rename", "ml/maml.md", "새 이름", "--json")
    assert code == 1
    assert json.loads(out)["written"] == ["ml/새 이름.md", "ml/reptile.md"]
    assert err.count("\n") == 1 and "hub.md (it changed since the plan)" in err
    assert (vault / "hub.md").read_text() == "# 허브\n[[maml]] saved by another editor\n"
    assert (vault / "ml/reptile.md").read_text() == "# Reptile\n[[새 이름#비용]]\n"
