"""A cold load with many notes parses half of them in a helper process
(``core/parse_helper.py``): the vault it gives is the one a one-process load gives, and a
helper that fails costs only time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from notebase.core import helper_process, parse_helper
from notebase.core.vault import Vault

EXAMPLE_VAULT = Path(__file__).resolve().parents[2] / "notes"


@pytest.fixture
def vault_root(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, root, ignore=shutil.ignore_patterns(".notebase"))
    (root / "broken.md").write_text("---\ntitle: [unclosed\n---\n본문\n", encoding="utf-8")
    (root / "latin1.md").write_bytes("caf\xe9\n".encode("latin-1"))
    (root / "dated.md").write_text(
        "---\ncreated: 2025-09-14\nwhen: 2025-09-14 10:00:00\ntags: [ml/메타]\n---\n# 제목\n[[MAML]] [^1]\n\n[^1]: Finn, 2017.\n",
        encoding="utf-8",
    )
    return root


def _spy(monkeypatch) -> list:
    events = []
    original_init, original_result = parse_helper.Helper.__init__, parse_helper.Helper.result

    def init(self, files, config):
        events.append(len(files))
        original_init(self, files, config)

    def result(self, config):
        notes = original_result(self, config)
        events.append("done")
        return notes

    monkeypatch.setattr(parse_helper.Helper, "__init__", init)
    monkeypatch.setattr(parse_helper.Helper, "result", result)
    return events


def _parsed_here(monkeypatch) -> list:
    """Files the caller parsed because the helper gave no note for them."""
    calls = []
    real = parse_helper.read_note_file

    def counting(file, config):
        calls.append(file.path)
        return real(file, config)

    monkeypatch.setattr(parse_helper, "read_note_file", counting)
    return calls


def _state(vault: Vault) -> dict:
    return {path: note for path, note in vault.notes.items()}


def test_a_helped_load_is_the_one_process_load(vault_root, monkeypatch):
    monkeypatch.setattr(parse_helper, "MIN_NOTES", 10**9)
    expected = Vault.load(vault_root, use_cache=False)
    monkeypatch.setattr(parse_helper, "MIN_NOTES", 4)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    events = _spy(monkeypatch)
    parsed_here = _parsed_here(monkeypatch)
    helped = Vault.load(vault_root, use_cache=False)
    assert events == [len(expected.notes) - len(expected.notes) // 2, "done"]
    assert parsed_here == []  # the helper answered for every one of its notes
    assert list(helped.notes) == list(expected.notes)  # the scan's order
    assert _state(helped) == _state(expected)
    assert not helped.notes["broken.md"].valid and not helped.notes["latin1.md"].valid
    assert helped.backlinks("알고리즘/MAML.md") == expected.backlinks("알고리즘/MAML.md")


@pytest.mark.parametrize("failure", ["garbage", "cannot start"])
def test_a_failed_helper_costs_only_time(vault_root, monkeypatch, helper_fails, failure):
    expected = Vault.load(vault_root, use_cache=False)
    monkeypatch.setattr(parse_helper, "MIN_NOTES", 4)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    helper_fails(failure)
    parsed_here = _parsed_here(monkeypatch)
    assert _state(Vault.load(vault_root, use_cache=False)) == _state(expected)
    assert len(parsed_here) == len(expected.notes) - len(expected.notes) // 2
