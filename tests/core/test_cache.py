"""The parse cache under <vault>/.notebase/: warm equals cold, corrupt caches are rebuilt."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import pytest

from notebase.core import cache as note_cache
from notebase.core.cache import cache_path
from notebase.core.vault import Vault

NOTES = {
    "a.md": "---\ntitle: 가\ntags: [x/y]\naliases: [alpha]\ncreated: 2024-05-06\n"
    "when: 2024-05-06T07:08:09\nnested: {k: [1, 2.5, true, null]}\n---\n"
    "[[b]] ![[pic.png]] [[experiments/e]]\n\n## 질문\n1. q [[experiments/e]]\n\n"
    "<!-- notebase:results experiment=e run=r answers=1 -->\n<!-- /notebase:results -->\n"
    "Ref[^1]\n\n[^1]: Finn, C. (2017). T. *V*.\n",
    "sub/b.md": "# B\n[[a]] #태그\n",
    "bad.md": "---\n[broken\n---\n",
}


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    for rel, text in NOTES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "cp.md").write_bytes(b"\xff\xfe")
    return tmp_path


def as_dicts(vault: Vault) -> dict:
    return {path: dataclasses.asdict(note) for path, note in vault.notes.items()}


def test_warm_load_equals_cold_load(vault_dir):
    cold = Vault.load(vault_dir)
    assert cache_path(vault_dir).is_file()
    warm = Vault.load(vault_dir)
    assert as_dicts(warm) == as_dicts(cold)
    assert warm.check() == cold.check()
    assert warm.get("a.md").frontmatter["when"].hour == 7
    assert warm.get("a.md").links[0].resolved == "sub/b.md"


def test_warm_load_reuses_unchanged_notes_and_rereads_changed_ones(vault_dir, monkeypatch):
    Vault.load(vault_dir)
    path = vault_dir / "sub" / "b.md"
    path.write_text("# B changed\n", encoding="utf-8")
    parsed: list[str] = []
    from notebase.core import vault as vault_module

    real = vault_module.read_note_file

    def spy(file, config):
        parsed.append(file.path)
        return real(file, config)

    monkeypatch.setattr(vault_module, "read_note_file", spy)
    warm = Vault.load(vault_dir)
    assert parsed == ["sub/b.md"]
    assert warm.get("sub/b.md").title == "B changed"
    parsed.clear()
    Vault.load(vault_dir)
    assert parsed == []


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"format": 999, "entries": {}}),
        pickle.dumps(["wrong", "shape"]),
        # a pickle that would run code if loaded naively
        b"cos\nsystem\n(S'echo pwned'\ntR.",
    ],
)
def test_corrupt_or_foreign_cache_is_ignored_and_rebuilt(vault_dir, garbage):
    cold = as_dicts(Vault.load(vault_dir, use_cache=False))
    cache_path(vault_dir).parent.mkdir(exist_ok=True)
    cache_path(vault_dir).write_bytes(garbage)
    assert as_dicts(Vault.load(vault_dir)) == cold
    assert note_cache.load_cache(vault_dir, Vault.load(vault_dir)._fingerprint())  # rebuilt


def test_truncated_cache_is_ignored(vault_dir):
    Vault.load(vault_dir)
    data = cache_path(vault_dir).read_bytes()
    cache_path(vault_dir).write_bytes(data[: len(data) // 2])
    assert as_dicts(Vault.load(vault_dir)) == as_dicts(Vault.load(vault_dir, use_cache=False))


def test_cache_is_keyed_by_config(vault_dir):
    from notebase.config import VaultConfig

    Vault.load(vault_dir)
    other = Vault.load(vault_dir, config=VaultConfig(question_heading_patterns=["^nothing"]))
    assert other.get("a.md").questions == []


def test_read_only_vault_loads_without_a_cache(vault_dir):
    mode = vault_dir.stat().st_mode
    vault_dir.chmod(0o555)
    try:
        vault = Vault.load(vault_dir)
        assert vault.get("a.md").title == "가"
        assert not (vault_dir / ".notebase").exists()
    finally:
        vault_dir.chmod(mode)


def test_no_cache_leaves_the_vault_untouched(vault_dir):
    Vault.load(vault_dir, use_cache=False)
    assert not (vault_dir / ".notebase").exists()


def test_cache_write_is_atomic_and_leaves_no_temporary_files(vault_dir):
    Vault.load(vault_dir)
    names = sorted(os.listdir(vault_dir / ".notebase"))
    assert names == [".gitignore", "notes-cache.pickle"]


def test_a_note_the_cache_cannot_store_costs_only_its_own_entry(vault_dir):
    # The parser refuses such frontmatter (tests/core/test_yaml_aliases.py); a note that
    # reaches the cache anyway must not cost every other note its entry.
    vault = Vault.load(vault_dir, use_cache=False)
    cyclic: list = []
    cyclic.append(cyclic)
    odd = dataclasses.replace(vault.get("sub/b.md"), frontmatter={"loop": cyclic})
    entries = {
        "a.md": (1, 2, vault.get("a.md")),
        "sub/b.md": (3, 4, odd),
    }
    assert note_cache.save_cache(vault_dir, "fp", entries)
    loaded = note_cache.load_cache(vault_dir, "fp")
    assert list(loaded) == ["a.md"]
    assert loaded["a.md"][2].title == "가"
