"""Renaming a note: every link to it rewritten in the author's form, every other byte kept."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from notebase.core.note_ops import NoteOpError
from notebase.core.note_rename import RenameIncomplete, apply_rename, plan_rename
from notebase.core.vault import Vault


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".notebase" not in p.parts
    }


def resolved_links(root: Path, path: str) -> list[tuple[str, str | None]]:
    vault = Vault.load(root, use_cache=False)
    return [(link.target, link.resolved) for link in vault.notes[path].links]


# A CRLF note with a BOM: {L} is a wikilink target, {M} a Markdown one, {A} one in <...>.
# Everything else, code included, must come back byte for byte.
LINKER = (
    '\ufeff---\r\ntitle: 링크 모음\r\naliases: [old name]\r\nnote: "[[old name]] in YAML"\r\n---\r\n'
    "# 링크 모음\r\n"
    "[[{L}]] and [[{L}|레이블]] and [[{L}#Heading]] and [[{L}#^blk1]]\r\n"
    "Embeds: ![[{L}]] ![[{L}#x]]\r\n"
    "Markdown: [md](notes/{M}.md) [md2](notes/{M}.md#Heading) [md3](<notes/{A}.md>)\r\n"
    "Paths: [[notes/{L}.md]] and [[notes/{L}]]\r\n"
    "`[[old name]]` and ``[x](notes/old%20name.md)`` are code\r\n"
    "```\r\n[[old name]]\r\n```\r\n"
    "    [[old name]] indented code\r\n"
    "\r\n"
    "| a | [[{L}\\|표]] |\r\n"
    "|---|---|\r\n"
    "| [[other]] | x |"  # no final newline
)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "v"
    write(
        root,
        "notes/old name.md",
        "---\ntitle: Old\n---\n# Old\nSee [[old name#Heading]].\n\n## Heading\n",
    )
    write(
        root,
        "링크.md",
        LINKER.format(L="old name", M="old%20name", A="old name"),
    )
    write(root, "other.md", "[[notes/old name|x]] [[Old]] [[old name]]\n")
    return root


def test_rewrites_every_link_form_and_nothing_else(vault: Path) -> None:
    plan = plan_rename(vault, "notes/old name.md", "새 이름")
    assert (plan.old, plan.new) == ("notes/old name.md", "notes/새 이름.md")
    changes = {c.path: c.links for c in plan.changes}
    assert plan.changes[0].path == "notes/새 이름.md"
    assert changes == {"notes/새 이름.md": 1, "링크.md": 12, "other.md": 2}
    written = apply_rename(vault, plan)
    assert written[0] == "notes/새 이름.md"
    assert sorted(written) == sorted(changes)

    expected = LINKER.format(L="새 이름", M="새%20이름", A="새 이름").encode("utf-8")
    assert (vault / "링크.md").read_bytes() == expected
    assert (vault / "other.md").read_bytes() == "[[notes/새 이름|x]] [[Old]] [[새 이름]]\n".encode()
    assert (vault / "notes/새 이름.md").read_bytes() == (
        "---\ntitle: Old\n---\n# Old\nSee [[새 이름#Heading]].\n\n## Heading\n".encode()
    )
    assert not (vault / "notes/old name.md").exists()
    for target, resolved in resolved_links(vault, "링크.md"):
        if target != "other":
            assert resolved == "notes/새 이름.md", target


def test_plan_writes_nothing(vault: Path) -> None:
    before = snapshot(vault)
    plan = plan_rename(vault, "notes/old name.md", "새 이름")
    assert plan.links == 15
    assert snapshot(vault) == before


def test_alias_and_title_links_stay_and_frontmatter_is_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "maml.md", "---\ntitle: MAML 정리\naliases: [메타러닝]\n---\n# MAML 정리\n")
    write(root, "a.md", "[[메타러닝]] [[MAML 정리]] [[maml]] [[maml|메타러닝]]\n")
    apply_rename(root, plan_rename(root, "maml.md", "모델 불문 메타러닝"))
    assert (root / "a.md").read_text() == (
        "[[메타러닝]] [[MAML 정리]] [[모델 불문 메타러닝]] [[모델 불문 메타러닝|메타러닝]]\n"
    )
    assert (root / "모델 불문 메타러닝.md").read_text().startswith("---\ntitle: MAML 정리\n")


def test_a_link_by_file_name_is_rewritten_even_when_the_title_is_the_same(tmp_path: Path) -> None:
    """``# maml`` would let notebase find ``[[maml]]`` by title; Obsidian would not."""
    root = tmp_path / "v"
    write(root, "maml.md", "# maml\n")
    write(root, "a.md", "[[maml]]\n")
    apply_rename(root, plan_rename(root, "maml.md", "MAML 2"))
    assert (root / "a.md").read_text() == "[[MAML 2]]\n"


def test_same_name_in_another_folder_is_not_touched(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "a/old.md", "A\n")
    write(root, "b/old.md", "B\n")
    write(root, "b/near.md", "[[old]] [[a/old]]\n")  # the first finds b/old.md (same folder)
    write(root, "a/near.md", "[[old]] [[b/old]]\n")
    plan = plan_rename(root, "a/old.md", "renamed")
    apply_rename(root, plan)
    assert (root / "b/near.md").read_text() == "[[old]] [[a/renamed]]\n"
    assert (root / "a/near.md").read_text() == "[[renamed]] [[b/old]]\n"


def test_a_bare_name_that_would_be_ambiguous_becomes_the_shortest_unique_path(
    tmp_path: Path,
) -> None:
    root = tmp_path / "v"
    write(root, "a/old.md", "A\n")
    write(root, "b/deep/target.md", "B\n")
    write(root, "index.md", "[[old]] [[target]] [Old](a/old.md)\n")
    plan = plan_rename(root, "a/old.md", "target")
    apply_rename(root, plan)
    # [[target]] meant b/deep/target.md: it keeps meaning it, by a path now
    assert (root / "index.md").read_text() == "[[a/target]] [[deep/target]] [Old](a/target.md)\n"
    assert [r for _, r in resolved_links(root, "index.md")] == [
        "a/target.md",
        "b/deep/target.md",
        "a/target.md",
    ]


def test_moving_keeps_relative_markdown_links_of_the_note_itself(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "a/old.md", "[s](sibling.md) [[sibling]] [u](../up.md)\n")
    write(root, "a/sibling.md", "[back](old.md)\n")
    write(root, "up.md", "[[a/old]]\n")
    plan = plan_rename(root, "a/old.md", "b/c/old.md")
    assert plan.new == "b/c/old.md"
    apply_rename(root, plan)
    # a bare name still finds its note (the only sibling.md); a relative path would not
    assert (root / "b/c/old.md").read_text() == "[s](sibling.md) [[sibling]] [u](../../up.md)\n"
    assert (root / "a/sibling.md").read_text() == "[back](old.md)\n"  # the only old.md
    assert (root / "up.md").read_text() == "[[b/c/old]]\n"
    assert [r for _, r in resolved_links(root, "b/c/old.md")] == [
        "a/sibling.md",
        "a/sibling.md",
        "up.md",
    ]


def test_move_into_a_folder_keeps_the_name(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "메모.md", "x\n")
    write(root, "a.md", "[[메모]]\n")
    plan = plan_rename(root, "메모.md", "보관/")
    assert plan.new == "보관/메모.md"
    apply_rename(root, plan)
    assert (root / "a.md").read_text() == "[[메모]]\n"  # still the only 메모
    assert (root / "보관/메모.md").read_text() == "x\n"


def test_markdown_links_keep_their_encoding(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "old.md", "x\n")
    write(
        root,
        "a.md",
        '[plain](old.md) [enc](%EC%98%A4%EB%9E%98.md) [angle](<old.md>) [t](old.md "title")\n',
    )
    write(root, "오래.md", "y\n")
    apply_rename(root, plan_rename(root, "old.md", "새 노트 (초안)"))
    assert (root / "a.md").read_text() == (
        "[plain](새%20노트%20%28초안%29.md) [enc](%EC%98%A4%EB%9E%98.md) "
        '[angle](<새 노트 (초안).md>) [t](새%20노트%20%28초안%29.md "title")\n'
    )
    apply_rename(root, plan_rename(root, "오래.md", "새 것"))
    assert "[enc](%EC%83%88%20%EA%B2%83.md)" in (root / "a.md").read_text()
    assert [r for _, r in resolved_links(root, "a.md")] == ["새 노트 (초안).md", "새 것.md"] + [
        "새 노트 (초안).md"
    ] * 2


def test_sidecar_moves_with_the_note(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "실험.md", "x\n")
    write(root, "실험.results.md", "# Results for 실험\n")
    plan = plan_rename(root, "실험.md", "done/실험 1")
    assert [c.path for c in plan.changes] == ["done/실험 1.md", "done/실험 1.results.md"]
    assert apply_rename(root, plan) == ["done/실험 1.md", "done/실험 1.results.md"]
    assert (root / "done/실험 1.results.md").read_text() == "# Results for 실험\n"
    assert not (root / "실험.results.md").exists()


def test_each_runs_sidecar_moves_with_the_note(tmp_path: Path) -> None:
    """``<stem>.results.<run>.md`` files belong to the note as its sidecar does: each moves
    to the new stem's name with the same run; another note's sidecars stay."""
    root = tmp_path / "v"
    write(root, "실험.md", "x\n")
    write(root, "실험.results.md", "main\n")
    write(root, "실험.results.20261129T083840Z-248717.md", "one run\n")
    write(root, unicodedata.normalize("NFD", "실험.results.run.md"), "no run id\n")
    write(root, "실험 2.md", "other\n")
    write(root, "실험 2.results.20261129T083840Z-1.md", "other's run\n")
    plan = plan_rename(root, "실험.md", "done/결과")
    moved = [
        "done/결과.md",
        "done/결과.results.20261129T083840Z-248717.md",
        "done/결과.results.md",
        "done/결과.results.run.md",
    ]
    assert [new for _, new in plan.moves] == moved
    assert [c.path for c in plan.changes] == moved
    assert apply_rename(root, plan) == moved
    assert (root / "done/결과.results.20261129T083840Z-248717.md").read_text() == "one run\n"
    assert (root / "done/결과.results.run.md").read_text() == "no run id\n"
    assert sorted(p.name for p in root.iterdir() if p.name != ".notebase") == [
        "done",
        "실험 2.md",
        "실험 2.results.20261129T083840Z-1.md",
    ]


def test_a_taken_name_for_a_runs_sidecar_refuses_the_rename(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "실험.md", "x\n")
    write(root, "실험.results.7.md", "run 7\n")
    write(root, "결과.results.7.md", "someone else's\n")
    with pytest.raises(NoteOpError, match="its results sidecar to 결과.results.7.md"):
        plan_rename(root, "실험.md", "결과")
    assert (root / "실험.md").exists() and (root / "실험.results.7.md").exists()


def test_a_file_changed_between_plan_and_apply_is_not_clobbered(vault: Path) -> None:
    plan = plan_rename(vault, "notes/old name.md", "새 이름")
    edited = "[[old name]] edited meanwhile\n"
    (vault / "other.md").write_text(edited)
    with pytest.raises(RenameIncomplete) as caught:
        apply_rename(vault, plan)
    assert "other.md" in str(caught.value) and "changed since the plan" in str(caught.value)
    assert (vault / "other.md").read_text() == edited
    assert (vault / "notes/새 이름.md").exists()
    assert "링크.md" in caught.value.written
    assert caught.value.written[0] == "notes/새 이름.md"
    assert "[[새 이름|레이블]]" in (vault / "링크.md").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("./Other", "already exists"),  # other.md at the root, case-insensitively
        ("../out", "leaves the vault"),
        ("/abs/x", "absolute path"),
        (".trash/x", "skipped"),
        (".notebase/x", "skipped"),
        ("???", "no file name"),
        ("notes/old name", "already named"),
    ],
)
def test_refusals_write_nothing(vault: Path, new: str, message: str) -> None:
    before = snapshot(vault)
    with pytest.raises(NoteOpError, match=message):
        plan_rename(vault, "notes/old name.md", new)
    assert snapshot(vault) == before


def test_refuses_a_folder_linked_out_of_the_vault(tmp_path: Path) -> None:
    root = tmp_path / "v"
    outside = tmp_path / "outside"
    outside.mkdir()
    write(root, "old.md", "x\n")
    os.symlink(outside, root / "link")
    with pytest.raises(NoteOpError, match="symbolic link"):
        plan_rename(root, "old.md", "link/new")
    assert list(outside.iterdir()) == []


def test_refuses_a_name_taken_in_another_normalisation(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "old.md", "x\n")
    write(root, unicodedata.normalize("NFD", "한글.md"), "y\n")
    with pytest.raises(NoteOpError, match="already exists"):
        plan_rename(root, "old.md", "한글")


def test_a_target_that_appears_after_the_plan_is_not_replaced(vault: Path) -> None:
    plan = plan_rename(vault, "notes/old name.md", "새 이름")
    (vault / "notes/새 이름.md").write_text("someone else's\n")
    before = snapshot(vault)
    with pytest.raises(NoteOpError, match="already exists"):
        apply_rename(vault, plan)
    assert snapshot(vault) == before


def test_case_only_rename(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "maml.md", "x\n")
    write(root, "a.md", "[[maml]] [m](maml.md)\n")
    apply_rename(root, plan_rename(root, "maml.md", "MAML"))
    assert (root / "MAML.md").read_text() == "x\n"
    # links compare names case-insensitively: they still find it, so they stay
    assert [r for _, r in resolved_links(root, "a.md")] == ["MAML.md", "MAML.md"]


def test_a_note_that_is_not_utf8_is_reported_and_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "old.md", "x\n")
    latin = b"caf\xe9 [[old]]\n"
    write(root, "latin.md", latin)
    plan = plan_rename(root, "old.md", "new")
    assert any("latin.md" in p and "UTF-8" in p for p in plan.problems)
    apply_rename(root, plan)
    assert (root / "latin.md").read_bytes() == latin


def test_a_link_split_over_quote_lines_is_reported_not_guessed(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write(root, "old.md", "x\n")
    quoted = "> see [label](\n> old.md) there\n"
    write(root, "q.md", quoted)
    assert [r for _, r in resolved_links(root, "q.md")] == ["old.md"]
    plan = plan_rename(root, "old.md", "new")
    assert len(plan.problems) == 1 and plan.problems[0].startswith("q.md:1:")
    apply_rename(root, plan)
    assert (root / "q.md").read_text() == quoted


def test_unknown_note(vault: Path) -> None:
    with pytest.raises(NoteOpError, match="no note"):
        plan_rename(vault, "nothing here", "x")


def test_rename_the_most_linked_note_of_obsidian_help_ko(
    shared_dir: Path, tmp_path: Path, capsys
) -> None:
    """The real corpus, copied: every backlink follows the note, none is lost, nothing breaks."""
    import json
    import shutil
    import time

    from notebase.cli import main

    corpus = shared_dir / "corpora" / "obsidian-help-ko"
    if not corpus.is_dir():
        pytest.skip("obsidian-help-ko is not present")
    root = tmp_path / "ko"
    shutil.copytree(corpus, root, symlinks=True)
    for path in [root, *root.rglob("*")]:  # the shared copy is read-only
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)

    def broken() -> set[tuple[str, str]]:
        assert main(["--vault", str(root), "check", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        return {(b["note"], b["target"]) for b in report["broken_links"]}

    before = Vault.load(root, use_cache=False)
    old = max(before.notes, key=lambda p: (len(before.backlinks(p)), p))
    backlinks = before.backlinks(old)
    links_to = sum(link.resolved == old for n in before.notes.values() for link in n.links)
    broken_before = broken()
    assert len(backlinks) >= 10

    files = {p: (root / p).read_bytes() for p in before.notes}
    started = time.perf_counter()
    plan = plan_rename(root, old, "이름을 바꾼 노트")
    written = apply_rename(root, plan)
    seconds = time.perf_counter() - started
    assert plan.problems == [] and written[0] == plan.new

    after = Vault.load(root, use_cache=False)
    assert old not in after.notes
    assert after.backlinks(plan.new) == backlinks
    for path in backlinks:
        assert any(link.resolved == plan.new for link in after.notes[path].links), path
    assert (
        sum(link.resolved == plan.new for n in after.notes.values() for link in n.links) == links_to
    )
    # byte for byte: only the link targets changed, at the places the parser gives (links
    # in code, like one in a fenced example of 스타일 가이드.md, are not links and stay)
    stem = old.rsplit("/", 1)[-1][:-3]
    for path, data in files.items():
        text = data.decode("utf-8")
        assert "\r" not in text and not text.startswith("\ufeff")  # else offsets differ
        body_at = len(text) - len(before.notes[path].body)
        starts = sorted(
            body_at + link.start + 2 + link.embed
            for link in before.notes[path].links
            if link.resolved == old and link.target
        )
        expected = text
        for at in reversed(starts):
            assert expected[at : at + len(stem)] == stem
            expected = expected[:at] + "이름을 바꾼 노트" + expected[at + len(stem) :]
        assert (root / (plan.new if path == old else path)).read_text() == expected, path
    moved = {(plan.new if note == old else note, target) for note, target in broken_before}
    assert broken() <= moved
    print(
        f"\nobsidian-help-ko: renamed {old} ({len(backlinks)} backlinks, {links_to} links): "
        f"{len(plan.changes)} files changed, {plan.links} links rewritten, {seconds:.2f} s"
    )


def test_moving_into_an_nfd_folder_uses_it(tmp_path: Path) -> None:
    root = tmp_path / "v"
    nfd = unicodedata.normalize("NFD", "보관")
    write(root, f"{nfd}/other.md", "x\n")
    write(root, "메모.md", "m\n")
    write(root, "a.md", "[m](메모.md)\n")
    plan = plan_rename(root, "메모.md", "보관/메모")
    assert plan.new == "보관/메모.md"
    apply_rename(root, plan)
    assert sorted(n for n in os.listdir(root) if not n.startswith(".")) == ["a.md", nfd]
    assert (root / nfd / "메모.md").read_text() == "m\n"
    assert (root / "a.md").read_text() == "[m](메모.md)\n"  # still the only 메모
    assert [r for _, r in resolved_links(root, "a.md")] == ["보관/메모.md"]
