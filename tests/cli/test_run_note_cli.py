"""`notebase run NOTE`: the whole path through the CLI, with the real runner on tiny specs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from notebase.cli import main

REPO = Path(__file__).resolve().parents[2]

NOTE = (
    "---\r\n"
    "title: 두 실험\r\n"
    "experiments: [tiny-a]\r\n"
    "---\r\n"
    "## 질문 & 확장\r\n"
    "\r\n"
    "1. A는 얼마나 빠른가? [[experiments/tiny-a]]\r\n"
    "2. B는? [[experiments/tiny-b]]\r\n"
    "\r\n"
    "## 출처\r\n"
    "\r\n"
    "끝"  # CRLF, and no newline at the end
)


@pytest.fixture
def setup(tmp_path, write_tiny_spec):
    vault = tmp_path / "notes"
    vault.mkdir()
    (vault / "두 실험.md").write_bytes(NOTE.encode())
    (vault / "빈 노트.md").write_bytes("# 실험 없음\n\n본문\n".encode())
    (vault / "모르는 실험.md").write_bytes("---\nexperiments: [nope]\n---\n본문\n".encode())
    (vault / "깨진 노트.md").write_bytes("---\nexperiments: [tiny-a\n---\n본문\n".encode())
    specs = tmp_path / "experiments"
    specs.mkdir()
    for name, iterations in (("tiny-a", 3), ("tiny-b", 3), ("tiny-long", 100000)):
        write_tiny_spec(specs, name, iterations)
    return vault, specs


def run_cli(capsys, vault, specs, *argv):
    code = main(["--vault", str(vault), "--experiments", str(specs), "run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def strip_blocks(data: bytes) -> bytes:
    """Delete every results block's lines, as an editor would: from the opening marker's line
    to the closing marker's line; a block that ends the file takes the newline before it."""
    closing = b"<!-- /notebase:results -->"
    while opening := re.search(rb"(?m)^<!-- notebase:results ", data):
        start = opening.start()
        end = data.index(closing, start) + len(closing)
        if data.startswith(b"\r\n", end):
            end += 2
        elif data.startswith(b"\n", end):
            end += 1
        else:
            start -= 2 if data[:start].endswith(b"\r\n") else 1 if start else 0
        data = data[:start] + data[end:]
    return data


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_run_note_two_experiments_then_one_again(setup, capsys):
    vault, specs = setup
    note = vault / "두 실험.md"
    code, out, err = run_cli(capsys, vault, specs, "두 실험", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["note"] == "두 실험.md"
    runs = report["runs"]
    assert [r["experiment"] for r in runs] == ["tiny-a", "tiny-b"]
    for run in runs:
        assert run["status"] == "ok" and run["written_to"] == "두 실험.md"
        assert Path(run["record"]).is_file() and len(run["results"]) == 4
        assert run["plot"] == f"attachments/{run['experiment']}-{run['run_id']}.png"
        assert (vault / run["plot"]).is_file()
    assert "tiny-a: run" in err  # progress for people on stderr
    data = note.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")  # CRLF stays CRLF
    assert b"answers=1 " in data and b"answers=2 " in data
    assert data.index(b"experiment=tiny-a") < data.index(b"experiment=tiny-b")
    assert strip_blocks(data) == NOTE.encode()

    # Run only one of them again: its block is replaced, the other's bytes stay.
    block_b = data[data.index(b"<!-- notebase:results experiment=tiny-b") :]
    code, out, err = run_cli(capsys, vault, specs, "두 실험.md", "--experiment", "tiny-a")
    assert code == 0, err
    assert "replaced the results block in 두 실험.md" in out
    # ... and the block it replaced is kept, byte for byte, beside the new run's record.
    saved = Path(out.split("the block it replaced is saved in ")[1].split(")")[0])
    old_a = data[data.index(b"<!-- notebase:results experiment=tiny-a") : data.index(block_b)]
    assert saved.parent == specs / "runs" and saved.read_bytes().endswith(old_a.rstrip(b"\r\n") + b"\r\n")
    again = note.read_bytes()
    assert again.endswith(block_b) and again.count(b"experiment=tiny-a") == 1
    assert runs[0]["run_id"].encode() not in again
    assert strip_blocks(again) == NOTE.encode()


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_run_note_with_a_decomposed_file_name_writes_into_the_note(setup, capsys):
    """A macOS-style NFD file name: the results go into that file, not a sidecar."""
    import unicodedata

    vault, specs = setup
    nfd = vault / unicodedata.normalize("NFD", "분해된 이름.md")
    nfd.write_bytes("---\nexperiments: [tiny-a]\n---\n## 질문 & 확장\n\n1. 빠른가?\n".encode())
    code, out, err = run_cli(capsys, vault, specs, "분해된 이름", "--json")
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["status"] == "ok" and run["written_to"] == "분해된 이름.md"
    assert b"<!-- notebase:results experiment=tiny-a" in nfd.read_bytes()
    assert not list(vault.glob("*.results.md"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["빈 노트"], "links no experiment"),
        (["모르는 실험"], "unknown experiment 'nope' (available: tiny-a, tiny-b, tiny-long)"),
        (["두 실험", "--experiment", "tiny-long"], "does not link experiment 'tiny-long'"),
        (["없는 노트"], "no note named"),
        (["깨진 노트"], "cannot be read"),
    ],
)
def test_user_errors_exit_2_and_touch_nothing(setup, capsys, argv, message):
    vault, specs = setup
    before = {p: p.read_bytes() for p in vault.glob("*.md")}
    code, out, err = run_cli(capsys, vault, specs, *argv)
    assert code == 2 and out == ""
    assert err.startswith("notebase: ") and message in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in vault.glob("*.md")} == before
    assert not (vault / "attachments").exists() and not (specs / "runs").exists()


DYING_RUNNER = """
import json, sys
print(json.dumps({"event": "start", "run_id": "r-dies"}), flush=True)
print("Traceback (most recent call last):", file=sys.stderr)
print("MemoryError: the runner ran out of memory", file=sys.stderr)
sys.exit(3)
"""


def test_a_runner_dying_without_its_end_is_explained_by_its_last_stderr_line(
    setup, capsys, monkeypatch
):
    """The runner's stderr stays visible as it comes, and its last line is the reason the
    CLI gives (text and JSON) for a run that died without reporting its end."""
    import notebase.experiments.runner as runner

    def start(spec_path, *, quick, device, runs_dir, **popen_kwargs):
        return subprocess.Popen(
            [sys.executable, "-c", DYING_RUNNER], stdout=subprocess.PIPE, text=True,
            stderr=popen_kwargs["stderr"], start_new_session=True,
        )

    monkeypatch.setattr(runner, "start_run_process", start)
    vault, specs = setup
    before = (vault / "두 실험.md").read_bytes()
    reason = "MemoryError: the runner ran out of memory (the runner exited with code 3)"
    code, out, err = run_cli(capsys, vault, specs, "두 실험", "-e", "tiny-a")
    assert code == 1 and out == ""
    assert "Traceback (most recent call last):\n" in err  # shown as the runner wrote it
    assert err.splitlines()[-1] == (
        f"tiny-a: run r-dies failed: {reason}; 두 실험.md is unchanged"
    )
    code, out, err = run_cli(capsys, vault, specs, "두 실험", "-e", "tiny-a", "--json")
    (run,) = json.loads(out)["runs"]
    assert code == 1 and (run["status"], run["error"], run["write"]) == (
        "failed", reason, "not-written"
    )
    assert (vault / "두 실험.md").read_bytes() == before


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_ctrl_c_interrupts_and_leaves_the_note(setup, write_tiny_spec):
    vault, specs = setup
    # The first points train 3 iterations, the later ones run until stopped.
    write_tiny_spec(specs, "tiny-long", "[3, 100000]")
    note = vault / "두 실험.md"
    note.write_bytes(NOTE.replace("tiny-a", "tiny-long").encode())
    before = note.read_bytes()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "notebase", "--vault", str(vault), "--experiments", str(specs),
         "run", "두 실험", "--experiment", "tiny-long"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    # Ctrl-C once the run is training: its first point's result line is out (no fixed sleep).
    seen = ""
    while "inner_steps=" not in seen and (line := proc.stderr.readline()):
        seen += line
    assert "inner_steps=" in seen, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + err
    assert note.read_bytes() == before
    records = [json.loads(p.read_text()) for p in (specs / "runs").glob("*.json")]
    assert [r["status"] for r in records] == ["interrupted"], (
        [r["error"] for r in records], err[-3000:]
    )
    assert "interrupted" in out + err


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_shipped_example_note_end_to_end(tmp_path, capsys):
    """A note of the shipped vault, run with --quick on a copy: a quick run is a preview, so
    the note keeps every byte (its published full-run block included) and answers nothing
    new. The cheapest linked spec keeps it to seconds."""
    from notebase.core.vault import Vault
    from notebase.experiments.note_runs import linked_experiments

    if not (REPO / "notes").is_dir() or not (REPO / "experiments").is_dir():
        pytest.skip("the example vault is not in this checkout")
    vault = tmp_path / "notes"
    shutil.copytree(REPO / "notes", vault, ignore=shutil.ignore_patterns(".notebase"))
    specs = tmp_path / "experiments"
    shutil.copytree(REPO / "experiments", specs, ignore=shutil.ignore_patterns("runs"))
    shipped = {p.stem for p in specs.glob("*.toml")}
    preference = ["maml-sinusoid", "first-order", "digits-fewshot", "meta-cost"]
    candidates = [
        (preference.index(name) if name in preference else len(preference), note.path, name)
        for note in Vault.load(vault, use_cache=False).notes.values()
        for name in linked_experiments(note)
        if name in shipped
    ]
    assert candidates, "no shipped note links a shipped experiment"
    _, note_path, experiment = min(candidates)
    original = (vault / note_path).read_bytes()
    code, out, err = run_cli(
        capsys, vault, specs, note_path, "--experiment", experiment, "--quick", "--json"
    )
    assert code == 0, err
    run = json.loads(out)["runs"][0]
    assert run["status"] == "ok" and run["ending"] == "preview" and run["written_to"] is None
    assert run["results"] and "a quick run is a preview" in run["reason"]
    assert (vault / note_path).read_bytes() == original
    assert not list(vault.rglob("*.results.md"))
