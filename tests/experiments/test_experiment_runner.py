"""Runs end to end: records, determinism, interruption, the subprocess and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from notebase.cli import main as cli_main
from notebase.errors import UserError
from notebase.experiments.distributed import Ranks, default_groups
from notebase.experiments.params import DEFAULTS
from notebase.experiments.records import list_records, load_record
from notebase.experiments.runner import (
    fix_groups,
    groups_notice,
    iter_events,
    run_experiment,
    start_run_process,
)
from notebase.experiments.spec import load_spec
from notebase.experiments.tasks import make_task

TINY = """\
name = "작은-실험"
title = "tiny"
task = "{task}"
algorithms = {algorithms}
[params]
inner_steps = [1, 2]
hidden = 8
meta_batch = 4
shots = 3
query = 3
meta_iterations = {iterations}
eval_tasks = 3
eval_steps = 2
warmup = 1
threads = 1
[quick]
inner_steps = 1
meta_iterations = 3
"""

ROW_KEYS = {
    "algorithm", "inner_steps", "meta_iterations", "meta_batch", "seconds_per_iteration",
    "tasks_per_second", "peak_memory_bytes", "memory_kind", "pre_adaptation_loss",
    "post_adaptation_loss",
}
RECORD_KEYS = {
    "run_id", "experiment", "title", "spec", "spec_hash", "quick", "device", "device_name",
    "torch_version", "git_commit", "git_dirty", "seed", "world_size", "started_at", "ended_at",
    "status", "error", "results",
}


def tiny_spec(tmp_path: Path, task="sinusoid", algorithms='["maml", "fomaml"]', iterations=4,
              name="tiny.toml"):
    path = tmp_path / "experiments" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        TINY.format(task=task, algorithms=algorithms, iterations=iterations), encoding="utf-8"
    )
    return path


def numbers(row):
    """A row without what depends on the clock or on what else the machine is doing."""
    skip = {"seconds_per_iteration", "tasks_per_second", "train_seconds", "compile_reason",
            "rank_seconds_per_iteration", "communication_seconds_per_iteration",
            "communication_share", "load_average"}
    return {k: v for k, v in row.items() if k not in skip}


def test_run_writes_a_complete_record(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml", "fomaml", "reptile", "imaml", "anil"]'))
    events = []
    record = run_experiment(
        spec, device="cpu", runs_dir=tmp_path / "runs", on_event=events.append
    )
    assert set(record) >= RECORD_KEYS
    assert record["status"] == "ok" and record["error"] is None
    assert record["world_size"] == 1 and record["device"] == "cpu"
    assert len(record["results"]) == 10  # 5 algorithms x 2 inner step counts
    for row in record["results"]:
        assert set(row) >= ROW_KEYS
        assert row["memory_kind"] == "cpu-profiler" and row["peak_memory_bytes"] > 0
    on_disk = load_record(tmp_path / "runs" / f"{record['run_id']}.json")
    assert on_disk == json.loads(json.dumps(record))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("result") == 10


def test_maml_memory_grows_with_inner_steps_and_fomaml_stays_flat(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, iterations=2))
    spec.params["inner_steps"] = [1, 8]
    spec.params["reduce_groups"] = 1  # the whole batch's graph at once, whatever the default
    rows = run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")["results"]
    memory = {(r["algorithm"], r["inner_steps"]): r["peak_memory_bytes"] for r in rows}
    assert memory["maml", 8] > 3 * memory["maml", 1]
    assert memory["fomaml", 8] < 1.5 * memory["fomaml", 1]


def test_classification_rows_have_accuracy(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, task="digits", algorithms='["anil"]'))
    record = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    (row,) = record["results"]
    assert 0 <= row["pre_adaptation_accuracy"] <= 1
    assert 0 <= row["post_adaptation_accuracy"] <= 1
    assert record["spec"]["params"]["meta_iterations"] == 3  # spec as run: quick applied


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml", "imaml"]'))
    first = run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")["results"]
    again = run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")["results"]
    assert [numbers(r) for r in first] == [numbers(r) for r in again]
    spec.params["seed"] = 1
    other = run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")["results"]
    assert [r["post_adaptation_loss"] for r in other] != [r["post_adaptation_loss"] for r in first]


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_tasks_come_from_their_global_index(task_name):
    task = make_task(task_name, dict(DEFAULTS[task_name]))
    whole = task.sample("train", 7, range(25))
    split = [task.sample("train", 7, range(12)), task.sample("train", 7, range(12, 25))]
    for name, tensor in zip(("sx", "sy", "qx", "qy"), whole.tensors(), strict=True):
        parts = torch.cat([s.tensors()[("sx", "sy", "qx", "qy").index(name)] for s in split])
        assert torch.equal(tensor, parts), name
    assert not torch.equal(whole.support_x, task.sample("train", 8, range(25)).support_x)
    assert not torch.equal(whole.support_x[:5], task.sample("eval", 7, range(5)).support_x)


def test_an_error_after_a_stop_signal_is_recorded_as_interrupted(tmp_path, monkeypatch):
    """Ctrl-C's KeyboardInterrupt can come out of library code as another exception: once the
    runner's signal handler has run, the run counts as interrupted, not failed."""
    import notebase.experiments.runner as runner
    from notebase.experiments import stopping

    def train_point(*args, **kwargs):
        stopping.STOPPED_BY_SIGNAL.set()  # what the handler does before raising
        raise RuntimeError("KeyboardInterrupt turned into something else")

    monkeypatch.setattr(runner, "train_point", train_point)
    monkeypatch.setattr(stopping, "STOPPED_BY_SIGNAL", threading.Event())
    monkeypatch.setattr(stopping, "ignore_further_signals", lambda: None)  # pytest keeps Ctrl-C
    spec = load_spec(tiny_spec(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")
    (record,) = list_records(tmp_path / "runs")
    assert record["status"] == "interrupted" and "signal" in record["error"]


def test_cancel_event_records_interrupted(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, iterations=10_000))
    cancel = threading.Event()

    def on_event(event):
        if event["event"] == "progress" and event["iteration"] >= 2:
            cancel.set()

    record = run_experiment(
        spec, device="cpu", runs_dir=tmp_path / "runs", on_event=on_event, cancel=cancel
    )
    assert record["status"] == "interrupted"
    assert load_record(tmp_path / "runs" / f"{record['run_id']}.json")["status"] == "interrupted"


def test_diverging_run_is_recorded_as_failed(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml"]'))
    spec.params["inner_lr"] = 1e12
    record = run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")
    assert record["status"] == "failed"
    assert "FloatingPointError" in record["error"] and "\n" not in record["error"]


def run_cli(*argv, cwd):
    return subprocess.run(
        [sys.executable, "-m", "notebase", *argv], cwd=cwd, capture_output=True, text=True,
        timeout=240,
    )


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_cli_quick_run_prints_summary_and_leaves_a_record(tmp_path):
    tiny_spec(tmp_path)
    done = run_cli("run", "--experiment", "작은-실험", "--quick", "--device", "cpu", "--json",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["experiment"] == "작은-실험" and summary["world_size"] == 1
    assert summary["device"] == "cpu"
    assert [r["algorithm"] for r in summary["results"]] == ["maml", "fomaml"]
    record = load_record(tmp_path / summary["record"])
    assert record["status"] == "ok" and record["quick"] is True
    assert record["run_id"] == summary["run_id"]


@pytest.mark.slow  # two runner ranks train (torch start-up)
def test_cli_nproc_2_runs_two_ranks_through_torchrun_and_writes_one_record(tmp_path):
    path = tiny_spec(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "threads = 1\n", "threads = 1\nreduce_groups = 2\n"), encoding="utf-8")
    done = run_cli("run", "--experiment", "작은-실험", "--quick", "--device", "cpu", "--json",
                   "--nproc", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "ok" and summary["world_size"] == 2
    (record,) = list_records(tmp_path / "experiments" / "runs")
    assert record["world_size"] == 2 and record["run_id"] == summary["run_id"]
    assert [r["algorithm"] for r in record["results"]] == ["maml", "fomaml"]


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_cli_shows_progress_for_people(tmp_path):
    tiny_spec(tmp_path)
    done = run_cli("run", "-e", "작은-실험", "--quick", "--device", "cpu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "record:" in done.stderr and "maml" in done.stderr
    assert "post loss" in done.stdout


def test_cli_lists_experiments_without_importing_torch(tmp_path):
    tiny_spec(tmp_path)
    code = (
        "import sys, json, io, contextlib\n"
        "from notebase.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    main(['experiments', '--json'])\n"
        "print(json.dumps({'listing': json.loads(out.getvalue()), 'torch': 'torch' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    result = json.loads(done.stdout)
    assert result["torch"] is False
    assert result["listing"] == [{
        "name": "작은-실험", "title": "tiny", "task": "sinusoid",
        "algorithms": ["maml", "fomaml"], "path": str(Path("experiments") / "tiny.toml"),
    }]


def test_cli_run_needs_a_note_or_an_experiment(tmp_path, capsys):
    assert cli_main(["run"]) == 2
    assert "--experiment" in capsys.readouterr().err


def test_cli_unknown_experiment_is_one_line(tmp_path, capsys):
    tiny_spec(tmp_path)
    assert cli_main(["--experiments", str(tmp_path / "experiments"), "run", "-e", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "notebase: unknown experiment 'nope' (available: 작은-실험)"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_a_one_line_error(tmp_path):
    tiny_spec(tmp_path)
    done = run_cli("run", "-e", "작은-실험", "--quick", "--device", "cuda", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == ["notebase: CUDA requested but no GPU is available "
                     "(torch.cuda.is_available() is False); use --device cpu or --device auto"]
    assert not (tmp_path / "experiments" / "runs").exists() or not list_records(
        tmp_path / "experiments" / "runs"
    )


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_sigint_leaves_an_interrupted_record(tmp_path):
    spec_path = tiny_spec(tmp_path, iterations=100_000)
    runs = tmp_path / "runs"
    proc = start_run_process(spec_path, device="cpu", runs_dir=runs)
    events = iter_events(proc)
    for event in events:
        if event["event"] == "progress":
            break
    proc.send_signal(signal.SIGINT)
    rest = list(events)
    assert proc.wait(timeout=60) == 130
    assert rest[-1]["event"] == "end" and rest[-1]["status"] == "interrupted"
    (record,) = list_records(runs)
    assert record["status"] == "interrupted" and record["ended_at"]


@pytest.mark.slow  # two runner ranks train (torch start-up)
def test_cancelling_a_two_rank_run_leaves_one_interrupted_record(tmp_path):
    from notebase.experiments.launch import Launch
    from notebase.experiments.run_process import run_spec

    path = tiny_spec(tmp_path, iterations=100_000)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "threads = 1\n", "threads = 1\nreduce_groups = 2\n"), encoding="utf-8")
    cancel = threading.Event()
    started = []

    def on_event(event):
        if event["event"] == "progress" and not cancel.is_set():
            started.append(time.monotonic())
            cancel.set()

    end = run_spec(path, device="cpu", runs_dir=tmp_path / "runs", on_event=on_event,
                   cancel=cancel, stderr=None, launch=Launch(nproc=2))
    assert end.status == "interrupted" and time.monotonic() - started[0] < 30
    (record,) = list_records(tmp_path / "runs")
    assert record["status"] == "interrupted" and record["world_size"] == 2


def _rank_pids(parent: int) -> dict[int, int]:
    """torchrun's worker processes under `parent`, by their RANK."""
    ranks = {}
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        rank = [e for e in environ if e.startswith(b"RANK=")]
        if rank:
            ranks[int(rank[0][5:])] = int(child)
    return ranks


@pytest.mark.slow  # two runner ranks train (torch start-up)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_rank_fails_the_run_quickly_and_the_record_says_so(tmp_path):
    from notebase.experiments.launch import Launch

    path = tiny_spec(tmp_path, iterations=100_000)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "threads = 1\n", "threads = 1\nreduce_groups = 2\n"), encoding="utf-8")
    proc = start_run_process(path, device="cpu", runs_dir=tmp_path / "runs",
                             launch=Launch(nproc=2), stderr=subprocess.DEVNULL)
    events = iter_events(proc)
    for event in events:
        if event["event"] == "progress":
            break
    victim = _rank_pids(proc.pid)[1]
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    rest = list(events)
    assert proc.wait(timeout=90) != 0
    assert time.monotonic() - killed < 60
    assert rest[-1]["event"] == "end" and rest[-1]["status"] == "failed"
    (record,) = list_records(tmp_path / "runs")
    assert record["status"] == "failed" and record["world_size"] == 2
    pid = victim
    assert record["error"] == (f"rank 1 of 2 died without reporting an error (pid {pid}: "
                               "killed, or crashed outside Python)")


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_sigterm_is_recorded_as_interrupted_too(tmp_path):
    spec_path = tiny_spec(tmp_path, iterations=100_000)
    runs = tmp_path / "runs"
    proc = start_run_process(spec_path, device="cpu", runs_dir=runs)
    for event in iter_events(proc):
        if event["event"] == "progress":
            break
    proc.terminate()
    assert proc.wait(timeout=60) == 130
    (record,) = list_records(runs)
    assert record["status"] == "interrupted"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_quick_run_on_cuda(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml", "fomaml", "reptile", "imaml", "anil"]'))
    record = run_experiment(spec, quick=True, device="cuda", runs_dir=tmp_path / "runs")
    assert record["status"] == "ok" and record["device"] == "cuda"
    assert all(r["memory_kind"] == "cuda" and r["peak_memory_bytes"] > 0
               for r in record["results"])


def test_runner_module_itself_loads_no_torch():
    code = "import sys, notebase.experiments.runner; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ})
    assert done.stdout.strip() == "False"


def test_progress_events_are_throttled(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["fomaml"]', iterations=300))
    spec.params["inner_steps"] = 1
    events = []
    started = time.monotonic()
    run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs", on_event=events.append)
    elapsed = time.monotonic() - started
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[-1]["fraction"] == 1.0
    assert len(progress) <= 10 * elapsed + 2


LONG = """\
name = "long"
title = "long"
task = "sinusoid"
algorithms = ["maml", "fomaml", "reptile", "imaml", "anil"]
[params]
inner_steps = 2
hidden = 8
meta_batch = 5
shots = 3
query = 3
meta_iterations = 250
eval_tasks = 3
eval_steps = 2
warmup = 1
threads = 1
compile = false
"""


@pytest.mark.slow
def test_two_torchrun_ranks_train_exactly_like_one_process_for_hundreds_of_iterations(tmp_path):
    """gloo on CPU, 250 meta-iterations of every algorithm, ``reduce_groups`` left at its
    default: a meta-batch of 64 is 2 groups of 32 tasks on one process and on two (one group
    each), gathered and added in task order, so two ranks give the single process's losses.
    Measured: equal to the last bit (relative difference 0)."""
    spec_path = tmp_path / "experiments" / "long.toml"
    spec_path.parent.mkdir()
    spec_path.write_text(LONG.replace("meta_batch = 5\n", "meta_batch = 64\n"), encoding="utf-8")
    single = run_experiment(load_spec(spec_path), device="cpu", runs_dir=tmp_path / "single")
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
         "--standalone", "-m", "notebase.experiments.runner", "--spec", str(spec_path),
         "--device", "cpu", "--runs-dir", str(tmp_path / "two")],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ends = [json.loads(line) for line in done.stdout.splitlines() if '"event": "end"' in line]
    assert len(ends) == 1  # only rank 0 speaks
    (record,) = list_records(tmp_path / "two")
    assert record["world_size"] == 2 and record["status"] == "ok"
    for one, two in zip(single["results"], record["results"], strict=True):
        assert one["meta_iterations"] == 250
        assert one["params"]["reduce_groups"] == two["params"]["reduce_groups"] == 2
        for key in ("pre_adaptation_loss", "post_adaptation_loss", "meta_train_loss"):
            assert two[key] == pytest.approx(one[key], rel=1e-5), (one["algorithm"], key)
            assert two[key] == one[key], (one["algorithm"], key, one[key], two[key])


def test_default_groups_follow_the_meta_batch_not_the_process_count():
    assert [default_groups(b) for b in (1, 25, 63, 64, 100, 128, 256, 4096)] == [
        1, 1, 1, 2, 3, 4, 8, 8]
    points = [{"meta_batch": 25, "reduce_groups": 0}, {"meta_batch": 128, "reduce_groups": 0},
              {"meta_batch": 64, "reduce_groups": 3}]
    assert [p["reduce_groups"] for p in fix_groups(points, 1)] == [1, 4, 3]
    # Two processes: 128 keeps its 4 groups (trains like one process); 25 needs 2.
    assert [p["reduce_groups"] for p in fix_groups(points, 2)] == [2, 4, 3]
    assert groups_notice(points, 1) is None
    notice = groups_notice(points, 2)
    assert notice.startswith("2 processes need 2 reduction groups, more than the default "
                             "(meta_batch 25 has 1)")
    assert "meta_batch 64 has 2, 128 has 4" in groups_notice(
        [{"meta_batch": b, "reduce_groups": 0} for b in (128, 64, 512)], 8)
    assert "reduce_groups = 2" in notice
    assert groups_notice(points[1:], 4) is None


def test_more_processes_than_groups_is_refused(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))  # meta-batch 4: 4 groups of one task by default
    with pytest.raises(UserError, match=r"4 fixed group\(s\), too few for 5 processes; set "
                       r"reduce_groups .* or use --nproc 4"):
        run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs",
                       ranks=Ranks(rank=0, world_size=5))


def test_a_point_asking_for_more_processes_than_the_run_has_is_refused(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    spec.params["processes"] = [1, 2]
    with pytest.raises(UserError, match=r"params.processes = 2 needs at least 2 processes; "
                       r"run with --nproc 2"):
        run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")


@pytest.mark.slow
def test_compiled_meta_gradients_train_like_eager(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml"]'))
    eager = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    spec.params["compile"] = True
    compiled = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    (one,), (two,) = eager["results"], compiled["results"]
    assert one["compile_seconds"] is None and two["compile_seconds"] > 0
    for key in ("pre_adaptation_loss", "post_adaptation_loss", "meta_train_loss"):
        assert two[key] == pytest.approx(one[key], rel=1e-4), key


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_ctrl_c_on_the_cli_stops_the_run_and_records_it(tmp_path):
    """Even when started with SIGINT ignored (as a background job is), Ctrl-C stops the run."""
    # The first points train 3 iterations, the later ones run until stopped.
    tiny_spec(tmp_path, iterations="[3, 100_000]")

    def ignore_sigint():
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen(
        [sys.executable, "-m", "notebase", "run", "-e", "작은-실험", "--device", "cpu"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=ignore_sigint, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    # Ctrl-C once the run is training: its first point's result line is out (no fixed sleep).
    seen = ""
    while "inner_steps=" not in seen and (line := proc.stderr.readline()):
        seen += line
    assert "inner_steps=" in seen, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + err
    assert "run interrupted" in err
    (record,) = list_records(tmp_path / "experiments" / "runs")
    assert record["status"] == "interrupted", (record["error"], err[-3000:])
    assert record["results"]  # the finished point is kept


# --------------------------------------------------------------------------- issue 11 hardening


def test_a_signal_right_after_the_first_write_still_ends_the_record(tmp_path, monkeypatch):
    """issue 11 defect 17: Ctrl-C between the first write (`running`) and the run's `try:`
    left the record `running`. Now the first write is inside it."""
    from notebase.experiments import stopping

    monkeypatch.setattr(stopping, "ignore_further_signals", lambda: None)  # pytest keeps Ctrl-C

    def on_event(event):
        if event["event"] == "start":  # the record is on disk, as `running`
            raise KeyboardInterrupt

    spec = load_spec(tiny_spec(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs", on_event=on_event)
    (record,) = list_records(tmp_path / "runs")
    assert record["status"] == "interrupted" and record["ended_at"]


def test_a_signal_during_the_first_write_still_ends_the_record(tmp_path, monkeypatch):
    from notebase.experiments import records, stopping

    monkeypatch.setattr(stopping, "ignore_further_signals", lambda: None)
    real_write = records.write_record
    calls = []

    def write_then_signal(runs_dir, record):
        calls.append(record["status"])
        path = real_write(runs_dir, record)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return path

    monkeypatch.setattr(records, "write_record", write_then_signal)
    spec = load_spec(tiny_spec(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")
    assert calls == ["running", "interrupted"]
    (record,) = list_records(tmp_path / "runs")
    assert record["status"] == "interrupted"


def test_the_record_names_its_runner(tmp_path):
    import socket

    spec = load_spec(tiny_spec(tmp_path, algorithms='["fomaml"]'))
    record = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()


def test_runs_that_is_a_file_is_refused_before_any_record(tmp_path):
    from notebase.errors import UserError

    (tmp_path / "runs").write_text("", encoding="utf-8")
    spec = load_spec(tiny_spec(tmp_path))
    with pytest.raises(UserError, match="cannot write run records to .*: it is not a folder"):
        run_experiment(spec, device="cpu", runs_dir=tmp_path / "runs")


def test_a_record_that_cannot_be_written_mid_run_fails_the_run_in_one_line(tmp_path, monkeypatch):
    from notebase.experiments import records

    real_write = records.write_record
    calls = []

    def write(runs_dir, record):
        calls.append(record["status"])
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real_write(runs_dir, record)

    monkeypatch.setattr(records, "write_record", write)
    events = []
    spec = load_spec(tiny_spec(tmp_path, algorithms='["fomaml"]'))
    record = run_experiment(
        spec, quick=True, device="cpu", runs_dir=tmp_path / "runs", on_event=events.append
    )
    assert record["status"] == "failed"
    assert record["error"].startswith("OSError: [Errno 28] No space left on device; the record")
    assert events[-1]["event"] == "end" and events[-1]["error"] == record["error"]


def test_a_run_too_large_for_memory_is_refused_unless_allowed(tmp_path, monkeypatch):
    """issue 11 defect 21: `meta_batch = 10**9` or `hidden = 30000` grew to many GB."""
    from notebase.errors import UserError
    from notebase.experiments import measure

    spec = load_spec(tiny_spec(tmp_path, algorithms='["fomaml"]'))
    monkeypatch.setattr(measure, "available_bytes", lambda device: 1000)
    with pytest.raises(UserError) as caught:
        run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{spec.path}: needs about ")
    assert "more than the 1000 B available on cpu" in message and "--force" in message
    assert not (tmp_path / "runs").exists()  # refused before any record
    ok = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs",
                        allow_large=True)
    assert ok["status"] == "ok"
    spec.allow_large = True
    assert run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")["status"] == "ok"


def test_the_memory_estimate_follows_the_sizes_that_cost_memory():
    from notebase.experiments.measure import estimate_bytes

    point = dict(DEFAULTS["sinusoid"], eval_lr=0.01)
    small = estimate_bytes("sinusoid", "maml", point)
    assert 10_000 < small < 50_000_000
    wide = estimate_bytes("sinusoid", "maml", {**point, "hidden": 30000})
    assert wide > 100 * 2**30  # hidden = 30000: ~9e8 parameters, per task of the meta-batch
    many = estimate_bytes("sinusoid", "fomaml", {**point, "meta_batch": 10**9})
    assert many > 2**40
    deep = estimate_bytes("sinusoid", "maml", {**point, "inner_steps": 50})
    flat = estimate_bytes("sinusoid", "fomaml", {**point, "inner_steps": 50})
    assert deep > 3 * estimate_bytes("sinusoid", "maml", point) and flat < deep
    assert estimate_bytes("no-such-task", "maml", point) is None


@pytest.mark.slow  # profiles 5 algorithms x 2 tasks x 2 sizes (~3 s)
@pytest.mark.parametrize(("hidden", "meta_batch", "inner_steps"), [(128, 8, 5), (256, 4, 1)])
def test_the_memory_estimate_is_near_the_measured_peak(hidden, meta_batch, inner_steps):
    """The estimate against `peak_memory` of the meta-gradient and of the evaluation, plus
    the model's state: within the factor the measure module documents."""
    from functools import partial

    from notebase.experiments.algorithms import ALGORITHMS
    from notebase.experiments.measure import estimate_bytes, peak_memory

    device = torch.device("cpu")
    for task_name in ("sinusoid", "digits"):
        point = dict(DEFAULTS[task_name], hidden=hidden, meta_batch=meta_batch,
                     inner_steps=inner_steps, eval_tasks=20, eval_lr=0.01)
        task = make_task(task_name, point)
        model = task.make_model()
        params = {name: p.detach() for name, p in model.named_parameters()}
        count = sum(p.numel() for p in params.values())
        for name, algorithm_class in ALGORITHMS.items():
            algorithm = algorithm_class(model, task, point)
            batch = task.sample("train", 0, range(meta_batch))
            held_out = task.sample("eval", 0, range(20))
            _, train, _ = peak_memory(partial(algorithm.meta_gradients, params, batch), device)
            _, evaluation, _ = peak_memory(
                partial(algorithm.evaluate, params, held_out, 10, 0.01), device
            )
            measured = max(train, evaluation) + 16 * count
            estimate = estimate_bytes(task_name, name, point)
            assert 0.7 < estimate / measured < 2.5, (task_name, name, estimate, measured)
