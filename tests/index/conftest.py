"""Helpers for index tests: real note files in a tmp vault, a real whoosh index."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def open_vault_index(vault: Path, messages: list[str]):
    """open_index(vault) with notices collected in ``messages``; closed after the test."""
    from notebase.index import open_index

    opened = []

    def _open(**kwargs):
        index = open_index(vault, on_message=messages.append, **kwargs)
        opened.append(index)
        return index

    yield _open
    for index in opened:
        index.close()
