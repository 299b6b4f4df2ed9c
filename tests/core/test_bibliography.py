"""The vault's BibTeX file: where it may be, what a broken one does, BibTeX written back."""

from __future__ import annotations

import os
from pathlib import Path

import bibtexparser
import pytest

from notebase.config import VaultConfig
from notebase.core.bibliography import bibtex_entry, parse_bibliography, read_bibliography
from notebase.errors import UserError

ENTRY = """@inproceedings{finn2017model,
  title = {Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks},
  author = {Finn, Chelsea and Abbeel, Pieter and Levine, Sergey},
  booktitle = {Proceedings of the 34th International Conference on Machine Learning},
  pages = {1126--1135},
  year = {2017}
}
"""


def vault_with(tmp_path: Path, files: dict[str, str | bytes], toml: str | None = None) -> Path:
    root = tmp_path / "vault"
    root.mkdir(parents=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if toml is not None:
        (root / ".notebase.toml").write_text(toml, encoding="utf-8")
    return root


def read(root: Path):
    return read_bibliography(root, VaultConfig.load(root))


def test_the_default_file_is_read_and_names_are_decoded(tmp_path):
    bib = (
        ENTRY
        + '@misc{kim2020, author = {김철수 and M{\\"u}ller, J{\\"o}rg and {Google Brain}}, title = {{CNN} 연구}, year = 2020}\n'
    )
    found = read(vault_with(tmp_path, {"references.bib": bib}))
    assert found.problems == []
    finn, kim = found.entries
    assert (finn.key, finn.authors, finn.year, finn.line) == (
        "finn2017model",
        ("Chelsea Finn", "Pieter Abbeel", "Sergey Levine"),
        2017,
        1,
    )
    assert finn.venue == "Proceedings of the 34th International Conference on Machine Learning"
    assert kim.authors == ("김철수", "Jörg Müller", "Google Brain") and kim.title == "CNN 연구"
    assert found.get("FINN2017MODEL") is finn


def test_no_file_at_the_default_place_is_no_bibliography(tmp_path):
    assert read(vault_with(tmp_path, {"a.md": "# A\n"})) is None


def test_a_configured_file_is_read_and_a_missing_one_said_once(tmp_path):
    root = vault_with(
        tmp_path, {"refs/라이브러리.bib": ENTRY}, 'bibliography = "refs/라이브러리.bib"\n'
    )
    assert [e.key for e in read(root).entries] == ["finn2017model"]
    root = vault_with(tmp_path / "2", {}, 'bibliography = "refs/none.bib"\n')
    assert read(root).problems == ["refs/none.bib: no such file (set in .notebase.toml)"]
    root = vault_with(tmp_path / "3", {"references.bib": ENTRY}, 'bibliography = ""\n')
    assert read(root) is None


@pytest.mark.parametrize("value", ['"../outside.bib"', '"/etc/refs.bib"', '"a/../../x.bib"', "3"])
def test_a_bibliography_setting_outside_the_vault_is_a_one_line_user_error(tmp_path, value):
    root = vault_with(tmp_path, {}, f"bibliography = {value}\n")
    with pytest.raises(UserError, match="bibliography must be a path inside the vault"):
        VaultConfig.load(root)


def test_a_symbolic_link_out_of_the_vault_is_not_read(tmp_path):
    outside = tmp_path / "secret.bib"
    outside.write_text(ENTRY, encoding="utf-8")
    root = vault_with(tmp_path, {})
    try:
        os.symlink(outside, root / "references.bib")
    except OSError:
        pytest.skip("no symbolic links here")
    found = read(root)
    assert found.entries == []
    assert found.problems == ["references.bib: not read: it leads outside the vault"]


def test_a_broken_file_keeps_its_good_entries_and_says_what_failed_in_one_line(tmp_path):
    bib = (
        ENTRY
        + "\n@article{broken,\n  title = {Unclosed\n  year = 2020\n"
        + ENTRY.replace("finn2017model", "again2017")
    )
    found = read(vault_with(tmp_path, {"references.bib": bib}))
    assert [e.key for e in found.entries] == ["finn2017model", "again2017"]
    (problem,) = found.problems
    assert problem.startswith("references.bib: 1 entry could not be read (line 9: ")
    assert "\n" not in problem


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path):
    found = read(vault_with(tmp_path, {"references.bib": ENTRY.encode() + b"\xff\xfe"}))
    assert found.entries == [] and found.problems == [
        f"references.bib: not UTF-8 (byte 0xff at offset {len(ENTRY.encode())})"
    ]


def test_written_entries_parse_back_with_their_fields():
    text = bibtex_entry(
        "kim2020meta",
        ("Minsu Kim", "C. Finn", "이영희", "et al."),
        "Meta {learning} & 50% of {graphs}",
        "Proceedings of KDD",
        2020,
    )
    library = bibtexparser.parse_string(text)
    (entry,) = library.entries
    assert library.failed_blocks == []
    assert (entry.key, entry.entry_type) == ("kim2020meta", "inproceedings")
    assert entry.fields_dict["author"].value == "Kim, Minsu and Finn, C. and 이영희 and others"
    assert entry.fields_dict["title"].value == r"Meta learning \& 50\% of graphs"
    again = parse_bibliography(text)
    assert again.entries[0].authors == ("Minsu Kim", "C. Finn", "이영희", "et al.")
