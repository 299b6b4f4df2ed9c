"""Run records read defensively (issue 11): run ids from notes, records of the wrong shape,
``running`` records whose runner died, run folders that cannot be written."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from results_block_helpers import make_record  # in tests/

from notebase.errors import UserError
from notebase.experiments import records
from notebase.experiments.records import (
    RecordError,
    check_record,
    check_runs_dir,
    find_record,
    is_run_id,
    list_records,
    load_record,
    read_record,
    record_path,
    try_load_record,
    write_record,
)

RUN_ID = "20261127T170132Z-86caf8"


def record(**changes) -> dict:
    data = make_record("meta-cost", RUN_ID)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "run_id",
    ["../../secret", "/etc/passwd", "..", "", "20261127T170132Z-86caf8/../x", "r1", None, 5,
     "20261127T170132Z-86CAF8", "20261127T170132Z-86caf8 ", "20261127T170132Z-86caf8\n"],
)
def test_only_run_ids_name_record_files(tmp_path, run_id):
    # issue 11 defect 8: a marker `run=../../secret` made the app load secret.json.
    (tmp_path / "secret.json").write_text(json.dumps(record()), encoding="utf-8")
    runs = tmp_path / "a" / "runs"
    runs.mkdir(parents=True)
    assert not is_run_id(run_id)
    with pytest.raises(RecordError, match="not a run id"):
        record_path(runs, run_id)
    assert find_record(runs, run_id) is None


def test_a_run_id_of_the_runner_names_its_file(tmp_path):
    assert is_run_id(RUN_ID) and is_run_id(records.new_run_id())
    assert record_path(tmp_path, RUN_ID) == tmp_path / f"{RUN_ID}.json"
    write_record(tmp_path, record())
    assert find_record(tmp_path, RUN_ID)["run_id"] == RUN_ID
    assert find_record(tmp_path, "20261127T170132Z-000000") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2, 3], "a run record is a JSON object, not list"),
        ("text", "a run record is a JSON object, not str"),
        (None, "a run record is a JSON object, not NoneType"),
        ({"results": 5}, "'run_id' must be a string"),
        (record(results=5), "'results' must be a list"),
        (record(results=None), "'results' must be a list"),
        (record(results=[1]), "results row 1 must be an object"),
        (record(results=[{"algorithm": 3}]), "results row 1: 'algorithm' must be a string"),
        (record(results=[{"seconds_per_iteration": "fast"}]),
         "results row 1: 'seconds_per_iteration' must be a number"),
        (record(results=[{"peak_memory_bytes": True}]),
         "results row 1: 'peak_memory_bytes' must be a number"),
        (record(results=[{"params": [1]}]), "results row 1: 'params' must be an object"),
        (record(status="done"), "unknown status 'done'"),
        (record(status=None), "'status' must be a string"),
        (record(experiment=["x"]), "'experiment' must be a string"),
        (record(spec=[]), "'spec' must be an object"),
        (record(spec={"params": 3}), "'spec' must be an object"),
        (record(quick="yes"), "'quick' must be true or false"),
        (record(ended_at=5), "'ended_at' must be a string"),
        (record(world_size="2"), "'world_size' must be an integer"),
    ],
)
def test_a_record_of_the_wrong_shape_is_unreadable_with_a_reason(tmp_path, data, reason):
    # issue 11 defect 15: the app exited on `[1,2,3]` or `{"results": 5}`.
    assert reason in (check_record(data) or "")
    path = tmp_path / f"{RUN_ID}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="not a run record"):
        load_record(path)
    assert try_load_record(path) is None
    assert find_record(tmp_path, RUN_ID) is None
    got, why = read_record(path)
    assert got is None and reason in why and str(path) in why
    assert list_records(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"{not json", "not valid JSON"), (b"\xff\xfe{}", "not UTF-8"), (b"[" * 100_000, "")],
)
def test_broken_files_are_unreadable_not_a_crash(tmp_path, content, reason):
    path = tmp_path / f"{RUN_ID}.json"
    path.write_bytes(content)
    got, why = read_record(path)
    assert got is None and reason in why
    assert read_record(tmp_path / "missing.json")[1].endswith("No such file or directory")


def test_a_real_record_shape_passes(tmp_path):
    assert check_record(record()) is None
    assert check_record(make_record("x", RUN_ID, accuracy=True)) is None
    assert check_record(make_record("x", RUN_ID, status="failed")) is None
    write_record(tmp_path, record())
    assert load_record(tmp_path / f"{RUN_ID}.json") == json.loads(json.dumps(record()))


# --------------------------------------------------------------------------- stale `running`


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_running_record_whose_runner_died_reads_as_interrupted(tmp_path):
    # issue 11 defect 17: a killed runner left `running` forever.
    pid = _dead_pid()
    running = record(status="running", error=None, ended_at=None, pid=pid,
                     host=socket.gethostname(), pid_started=None)
    write_record(tmp_path, running)
    path = tmp_path / f"{RUN_ID}.json"
    got = load_record(path)
    assert got["status"] == "interrupted" and got["runner_died"] is True
    assert got["error"].startswith("interrupted (runner died): process ")
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "running"  # file as it is
    assert list_records(tmp_path)[0]["status"] == "interrupted"


def test_a_zombie_runner_is_dead(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Not reaped yet: a zombie, which `kill(pid, 0)` still finds.
        for _ in range(200):
            if records.runner_alive({"pid": proc.pid, "host": socket.gethostname()}) is False:
                break
            time.sleep(0.01)
        assert records.runner_alive({"pid": proc.pid, "host": socket.gethostname()}) is False
    finally:
        proc.wait()


def test_a_running_record_of_a_live_runner_stays_running(tmp_path):
    me = records.runner_identity()
    assert me["pid"] == os.getpid() and me["host"] == socket.gethostname()
    write_record(tmp_path, record(status="running", **me))
    assert load_record(tmp_path / f"{RUN_ID}.json")["status"] == "running"
    # Another host, or no pid (an older record): nothing can be told, nothing is changed.
    write_record(tmp_path, record(status="running", pid=_dead_pid(), host="elsewhere"))
    assert load_record(tmp_path / f"{RUN_ID}.json")["status"] == "running"
    write_record(tmp_path, record(status="running"))
    assert load_record(tmp_path / f"{RUN_ID}.json")["status"] == "running"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_reused_pid_is_not_taken_for_the_runner(tmp_path):
    me = records.runner_identity()
    assert isinstance(me["pid_started"], int)
    write_record(tmp_path, record(status="running", **{**me, "pid_started": me["pid_started"] - 1}))
    assert load_record(tmp_path / f"{RUN_ID}.json")["status"] == "interrupted"


# --------------------------------------------------------------------------- writing


def test_runs_that_is_a_file_is_one_line(tmp_path):
    # issue 11 defect 18: a traceback, then "the run failed".
    runs = tmp_path / "runs"
    runs.write_text("", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        check_runs_dir(runs)
    assert str(caught.value) == f"cannot write run records to {runs}: it is not a folder"


def test_an_unwritable_runs_folder_is_one_line(tmp_path, monkeypatch):
    runs = tmp_path / "runs"

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(records.tempfile, "mkstemp", refuse)
    with pytest.raises(UserError) as caught:
        check_runs_dir(runs)
    assert str(caught.value) == f"cannot write run records to {runs}: Permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_runs_folder_is_one_line(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0o555)
    try:
        with pytest.raises(UserError, match="Permission denied"):
            check_runs_dir(runs)
    finally:
        runs.chmod(0o755)


def test_check_runs_dir_creates_the_folder_and_leaves_nothing(tmp_path):
    runs = tmp_path / "a" / "runs"
    check_runs_dir(runs)
    assert runs.is_dir() and list(runs.iterdir()) == []


def test_a_keeper_that_cannot_write_the_end_says_so_in_the_error(tmp_path, monkeypatch):
    keeper = records.RecordKeeper(tmp_path, record(status="running"))
    keeper.save()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(records, "write_record", full)
    keeper.finish("failed", "RuntimeError: boom")
    assert keeper.record["status"] == "failed"
    assert keeper.record["error"] == (
        f"RuntimeError: boom; the record could not be written to {keeper.path}: "
        "No space left on device"
    )
