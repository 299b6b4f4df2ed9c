"""Vault: scanning, link resolution (Obsidian-like, NFC, case-insensitive), queries, refresh."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from notebase.config import VaultConfig
from notebase.core.vault import Vault
from notebase.core.vault_files import iter_note_files
from notebase.errors import NoteError


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    write(
        root,
        "index.md",
        "# Index\n[[MAML]] [[ml/reptile]] [[메타러닝#비용]] [[first order]] "
        "[[missing note]] ![[fig.png]] ![[gone.png]] [[experiments/meta-cost]] [[#Index]]\n"
        "[md](ml/Reptile.md) [rel](./ml/reptile.md)\n",
    )
    write(
        root,
        "ml/maml.md",
        "---\ntitle: MAML 정리\naliases: [Model-Agnostic Meta-Learning]\n"
        "tags: [ml/meta/maml]\n---\n[[reptile]] [[Index]] [[fomaml]]\n",
    )
    write(root, "ml/reptile.md", "---\ntags: [ml/meta, 미완]\n---\n# Reptile\n[[../index]] #ml\n")
    write(root, "ml/fomaml.md", "---\naliases: first order\n---\nFOMAML\n")
    write(root, "archive/fomaml.md", "old copy\n")
    write(root, "메타러닝.md", "---\ntags: [미완]\n---\n# 메타러닝\n")
    write(root, "fig.png", b"\x89PNG")
    write(root, ".obsidian/workspace.md", "[[should not be read]]\n")
    write(root, ".trash/old.md", "deleted\n")
    write(root, "notes.txt", "not a note")
    return root


def links_of(vault: Vault, path: str) -> dict[str, str | None]:
    return {
        link.target + (f"#{link.heading}" if link.heading else ""): link.resolved
        for link in vault.get(path).links
    }


def test_scan_skips_dot_folders_and_non_markdown(vault_dir):
    paths = [f.path for f in iter_note_files(vault_dir, VaultConfig())]
    assert paths == [
        "archive/fomaml.md",
        "index.md",
        "ml/fomaml.md",
        "ml/maml.md",
        "ml/reptile.md",
        "메타러닝.md",
    ]
    files = iter_note_files(vault_dir, VaultConfig())
    assert all(f.abs_path.is_file() and f.size == f.abs_path.stat().st_size for f in files)


def test_configured_ignore_dirs(vault_dir):
    config = VaultConfig()
    config.ignore_dirs |= {"archive"}
    assert "archive/fomaml.md" not in Vault.load(vault_dir, config=config, use_cache=False).notes


def test_links_resolve_like_obsidian(vault_dir):
    vault = Vault.load(vault_dir, use_cache=False)
    assert links_of(vault, "index.md") == {
        "MAML": "ml/maml.md",  # unique file name, case-insensitive
        "ml/reptile": "ml/reptile.md",  # path from the vault root without .md
        "메타러닝#비용": "메타러닝.md",
        "first order": "ml/fomaml.md",  # alias
        "missing note": None,
        "fig.png": "fig.png",  # attachment
        "gone.png": None,
        "experiments/meta-cost": None,  # an experiment, not a note
        "#Index": "index.md",  # same note
        "ml/Reptile.md": "ml/reptile.md",
        "./ml/reptile.md": "ml/reptile.md",
    }
    # from ml/: the same folder wins over a shorter path elsewhere; ../ goes up
    assert links_of(vault, "ml/maml.md") == {
        "reptile": "ml/reptile.md",
        "Index": "index.md",
        "fomaml": "ml/fomaml.md",
    }
    assert links_of(vault, "ml/reptile.md") == {"../index": "index.md"}


def test_shortest_path_wins_when_no_folder_matches(tmp_path):
    write(tmp_path, "a/b/dup.md", "")
    write(tmp_path, "c/dup.md", "")
    write(tmp_path, "x/linker.md", "[[dup]]\n")
    vault = Vault.load(tmp_path, use_cache=False)
    assert vault.get("x/linker.md").links[0].resolved == "c/dup.md"


def test_backlinks_exclude_self_and_attachments(vault_dir):
    vault = Vault.load(vault_dir, use_cache=False)
    assert vault.backlinks("ml/reptile.md") == ["index.md", "ml/maml.md"]
    assert vault.backlinks("index.md") == ["ml/maml.md", "ml/reptile.md"]
    assert vault.backlinks("fig.png") == []
    assert vault.backlinks("archive/fomaml.md") == []


def test_check_reports_broken_links_and_missing_attachments_apart(vault_dir):
    write(vault_dir, "bad.md", b"---\ntitle: [x\n---\n")
    report = Vault.load(vault_dir, use_cache=False).check()
    assert report["notes"] == 7
    assert [(b["note"], b["target"]) for b in report["broken_links"]] == [
        ("index.md", "missing note")
    ]
    assert [(m["note"], m["target"]) for m in report["missing_attachments"]] == [
        ("index.md", "gone.png")
    ]
    assert [i["note"] for i in report["invalid_notes"]] == ["bad.md"]
    assert "broken YAML" in report["invalid_notes"][0]["error"]


def test_tag_counts_count_parents_once_per_note(vault_dir):
    write(vault_dir, "extra.md", "---\ntags: [ml/meta/maml, ml/meta]\n---\n#ml/Meta\n")
    counts = dict(Vault.load(vault_dir, use_cache=False).tag_counts())
    assert counts["ml"] == 3  # maml.md, reptile.md, extra.md
    assert counts["ml/meta"] == 3
    assert counts["ml/meta/maml"] == 2
    assert counts["미완"] == 2


def test_notes_with_tag_includes_nested_children(vault_dir):
    vault = Vault.load(vault_dir, use_cache=False)
    assert [n.path for n in vault.notes_with_tag("#ml/meta")] == ["ml/maml.md", "ml/reptile.md"]
    assert [n.path for n in vault.notes_with_tag("ml/meta/maml")] == ["ml/maml.md"]
    assert [n.path for n in vault.notes_with_tag("미완")] == ["ml/reptile.md", "메타러닝.md"]
    assert vault.notes_with_tag("ml/met") == []


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ml/maml.md", "ml/maml.md"),
        ("ml/maml", "ml/maml.md"),
        ("ML/MAML", "ml/maml.md"),
        ("maml", "ml/maml.md"),
        ("MAML 정리", "ml/maml.md"),  # title
        ("model-agnostic meta-learning", "ml/maml.md"),  # alias
        ("메타러닝", "메타러닝.md"),
        (unicodedata.normalize("NFD", "메타러닝"), "메타러닝.md"),
        ("reptile.md", "ml/reptile.md"),
    ],
)
def test_find_by_path_name_title_or_alias(vault_dir, ref, expected):
    assert Vault.load(vault_dir, use_cache=False).find(ref).path == expected


def test_find_errors(vault_dir):
    vault = Vault.load(vault_dir, use_cache=False)
    with pytest.raises(NoteError, match="no note named 'nothing'"):
        vault.find("nothing")
    with pytest.raises(NoteError, match="ambiguous.*archive/fomaml.md, ml/fomaml.md"):
        vault.find("fomaml")
    assert vault.find("archive/fomaml").path == "archive/fomaml.md"


def test_missing_vault_folder_is_a_clear_note_error(tmp_path):
    with pytest.raises(NoteError, match="does not exist"):
        Vault.load(tmp_path / "nope")
    write(tmp_path, "file.md", "")
    with pytest.raises(NoteError, match="is not a folder"):
        Vault.load(tmp_path / "file.md")


def test_nfd_file_names_resolve_from_nfc_links(tmp_path):
    nfd_name = unicodedata.normalize("NFD", "메타 러닝") + ".md"
    (tmp_path / nfd_name).write_text("---\naliases: [메타]\n---\n# 메타 러닝\n", encoding="utf-8")
    folder = tmp_path / unicodedata.normalize("NFD", "폴더")
    folder.mkdir()
    (folder / unicodedata.normalize("NFD", "노트.md")).write_text(
        "[[../메타 러닝]]\n", encoding="utf-8"
    )
    write(tmp_path, "links.md", "[[메타 러닝]] [[폴더/노트]] [[메타]]\n")
    vault = Vault.load(tmp_path, use_cache=False)
    assert "메타 러닝.md" in vault.notes and "폴더/노트.md" in vault.notes
    assert [link.resolved for link in vault.get("links.md").links] == [
        "메타 러닝.md",
        "폴더/노트.md",
        "메타 러닝.md",
    ]
    assert vault.get("폴더/노트.md").links[0].resolved == "메타 러닝.md"
    assert vault.backlinks("메타 러닝.md") == ["links.md", "폴더/노트.md"]


def test_one_bad_note_does_not_stop_the_others(tmp_path):
    write(tmp_path, "good.md", "# Good\n[[bad]]\n")
    write(tmp_path, "bad.md", b"# Bad \xc3\x28\n")
    write(tmp_path, "broken.md", "---\n: : :\n  - [\n---\n")
    vault = Vault.load(tmp_path, use_cache=False)
    assert vault.get("good.md").valid
    assert not vault.get("bad.md").valid and not vault.get("broken.md").valid
    assert vault.get("good.md").links[0].resolved == "bad.md"


def test_unreadable_file_is_an_invalid_note(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    path = write(tmp_path, "secret.md", "x")
    path.chmod(0)
    try:
        note = Vault.load(tmp_path, use_cache=False).get("secret.md")
        assert not note.valid and "cannot read" in note.errors[0]
    finally:
        path.chmod(0o644)


def test_questions_across_the_vault(tmp_path):
    write(
        tmp_path,
        "b.md",
        "## 질문\n1. b1 [[experiments/x]]\n2. b2\n"
        "<!-- notebase:results experiment=x run=r1 answers=2 -->\n<!-- /notebase:results -->\n",
    )
    write(tmp_path, "a.md", "## Questions\n- a1\n")
    vault = Vault.load(tmp_path, use_cache=False)
    everything = [(n.path, q.id, q.status) for n, q in vault.questions()]
    assert everything == [
        ("a.md", "a.md#q1", "open"),
        ("b.md", "b.md#q1", "open"),
        ("b.md", "b.md#q2", "answered"),
    ]
    assert [q.id for _, q in vault.questions(open_only=True)] == ["a.md#q1", "b.md#q1"]
    assert vault.get("b.md").questions[0].experiments == ["x"]


def test_refresh_rereads_only_changed_files(tmp_path):
    write(tmp_path, "a.md", "[[b]]\n")
    write(tmp_path, "b.md", "# B\n")
    write(tmp_path, "c.md", "# C\n")
    vault = Vault.load(tmp_path, use_cache=False)
    unchanged = vault.get("c.md")
    assert vault.get("a.md").links[0].resolved == "b.md"

    (tmp_path / "b.md").unlink()
    write(tmp_path, "d.md", "[[c]]\n")
    path = write(tmp_path, "a.md", "[[d]] and more\n")
    os.utime(path, ns=(1, 1))
    assert vault.refresh() == ["a.md", "b.md", "d.md"]
    assert vault.get("b.md") is None
    assert vault.get("c.md") is unchanged  # not re-read
    assert vault.get("a.md").links[0].resolved == "d.md"
    assert vault.backlinks("c.md") == ["d.md"]
    assert vault.refresh() == []


def test_refresh_resolves_links_to_a_new_attachment(tmp_path):
    write(tmp_path, "a.md", "![[pic.png]]\n")
    vault = Vault.load(tmp_path, use_cache=False)
    assert vault.check()["missing_attachments"]
    write(tmp_path, "pic.png", b"png")
    assert vault.refresh() == []
    assert vault.get("a.md").links[0].resolved == "pic.png"


def test_reload_paths(tmp_path):
    write(tmp_path, "a.md", "# A\n")
    vault = Vault.load(tmp_path, use_cache=False)
    write(tmp_path, "a.md", "# A2\n")
    write(tmp_path, "new.md", "# New\n")
    assert vault.reload_paths(["a.md", tmp_path / "new.md", "gone.md"]) == ["a.md", "new.md"]
    assert vault.get("a.md").title == "A2" and vault.get("new.md").title == "New"
    (tmp_path / "new.md").unlink()
    assert vault.reload_paths(["new.md"]) == ["new.md"]
    assert vault.get("new.md") is None


def test_vault_config_file(tmp_path):
    write(tmp_path, ".notebase.toml", 'question_headings = ["^할 일"]\nignore_dirs = ["drafts"]\n')
    write(tmp_path, "a.md", "## 할 일\n- 하나\n## 질문\n- 둘\n")
    write(tmp_path, "drafts/x.md", "")
    vault = Vault.load(tmp_path, use_cache=False)
    assert list(vault.notes) == ["a.md"]
    assert [q.text for q in vault.get("a.md").questions] == ["하나"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("question_headings = [", "not valid TOML"),
        ("colour = 1", "unknown setting"),
        ('question_headings = ["("]', "bad regular expression"),
        ("ignore_dirs = 3", "list"),
    ],
)
def test_bad_vault_config_is_a_user_error(tmp_path, content, message):
    from notebase.errors import UserError

    write(tmp_path, ".notebase.toml", content)
    with pytest.raises(UserError, match=message):
        Vault.load(tmp_path)


def test_refresh_swaps_tables_so_readers_of_the_old_dict_are_safe(tmp_path):
    write(tmp_path, "a.md", "# A\n")
    vault = Vault.load(tmp_path, use_cache=False)
    before = vault.notes
    write(tmp_path, "b.md", "# B\n")
    assert vault.refresh() == ["b.md"]
    assert list(before) == ["a.md"]  # untouched
    assert list(vault.notes) == ["a.md", "b.md"]


def test_reload_paths_with_an_absolute_nfd_path(tmp_path):
    vault = Vault.load(tmp_path, use_cache=False)
    nfd = tmp_path / unicodedata.normalize("NFD", "새 노트.md")
    nfd.write_text("# 새 노트\n", encoding="utf-8")
    assert vault.reload_paths([nfd]) == ["새 노트.md"]
    assert vault.find("새 노트").title == "새 노트"
