"""`notebase run NOTE --nproc 2` and what happens when a rank fails or the run's starter dies:
two gloo ranks on CPU through torch's launcher, tiny specs, real notes in a tmp vault."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebase.cli import main
from notebase.experiments.records import list_records
from notebase.experiments.stopping import PARENT_ENDED

NOTE = "---\nexperiments: [tiny-a]\n---\n## 질문 & 확장\n\n1. 두 프로세스로 나누면? [[experiments/tiny-long]]\n"


@pytest.fixture
def setup(tmp_path, write_tiny_spec):
    vault = tmp_path / "notes"
    vault.mkdir()
    (vault / "분산.md").write_text(NOTE, encoding="utf-8")
    specs = tmp_path / "experiments"
    specs.mkdir()
    write_tiny_spec(specs, "tiny-a", 3)
    write_tiny_spec(specs, "tiny-long", 100_000)
    return vault, specs


def run_cli(capsys, vault, specs, *argv):
    code = main(["--vault", str(vault), "--experiments", str(specs), "run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow  # two runner ranks train (torch start-up)
def test_run_note_on_two_processes_writes_one_record_and_the_results_block(setup, capsys):
    vault, specs = setup
    code, out, err = run_cli(capsys, vault, specs, "분산", "--experiment", "tiny-a",
                             "--nproc", "2", "--json")
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["status"] == "ok" and run["written_to"] == "분산.md"
    (record,) = list_records(specs / "runs")
    assert record["world_size"] == 2 and record["run_id"] == run["run_id"]
    assert all(row["world_size"] == 2 for row in record["results"])
    text = (vault / "분산.md").read_text(encoding="utf-8")
    assert f"<!-- notebase:results experiment=tiny-a run={record['run_id']}" in text
    assert "| comm/iter | comm share |" in text  # the cross-rank columns
    # A tiny meta-batch is one default group: two processes need two, and the user is told.
    assert "results equal one process with reduce_groups = 2" in err


@pytest.mark.slow  # two runner ranks train (torch start-up)
def test_a_rank_that_raises_ends_the_run_with_its_rank_and_error_and_the_note_untouched(
    setup, capsys, monkeypatch
):
    vault, specs = setup
    before = (vault / "분산.md").read_bytes()
    monkeypatch.setenv("NOTEBASE_TEST_FAULT", "1:5")  # rank 1 raises at meta-iteration 5
    started = time.monotonic()
    code, out, err = run_cli(capsys, vault, specs, "분산", "--experiment", "tiny-long",
                             "--nproc", "2", "--json")
    assert time.monotonic() - started < 60
    assert code == 1, err
    (run,) = json.loads(out)["runs"]
    assert run["status"] == "failed"
    (record,) = list_records(specs / "runs")
    assert record["status"] == "failed" and record["world_size"] == 2
    assert record["error"] == ("rank 1 of 2 failed: RuntimeError: injected fault at iteration "
                               "5 (NOTEBASE_TEST_FAULT)")
    assert (vault / "분산.md").read_bytes() == before


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


STARTER = """
import json, sys
from pathlib import Path
from notebase.experiments.launch import Launch
from notebase.experiments.run_process import run_spec
run_spec(Path(sys.argv[1]), device="cpu", runs_dir=Path(sys.argv[2]), stderr=None,
         launch=Launch(nproc=2), on_event=lambda e: print(json.dumps(e), flush=True))
"""


@pytest.mark.slow  # two runner ranks train (torch start-up)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_process_that_started_a_two_rank_run_stops_every_rank(setup):
    _, specs = setup
    runs = specs / "runs"
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(specs / "tiny-long.toml"),
                                str(runs)], stdout=subprocess.PIPE, text=True)
    for line in starter.stdout:
        if json.loads(line).get("event") == "progress":
            break
    (agent,) = _children(starter.pid)
    ranks = _children(agent)
    assert len(ranks) == 2
    os.kill(starter.pid, signal.SIGKILL)
    starter.wait()
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in [agent, *ranks]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in [agent, *ranks])
    (record,) = list_records(runs)
    assert record["status"] == "interrupted" and record["error"] == PARENT_ENDED
