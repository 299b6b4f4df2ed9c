"""Issue 11, the experiment side through the CLI: names that are paths, specs from outside
the experiments folder, runs folders that cannot be written, runs too large for memory,
kills of the CLI and of the runner, and the messages for missing folders and bad flags."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from notebase.cli import main
from notebase.experiments.records import list_records, load_record

ELSEWHERE = """\
task = "sinusoid"
algorithms = ["fomaml"]
[params]
meta_iterations = 2
warmup = 0
eval_tasks = 2
hidden = 4
"""


@pytest.fixture
def world(tmp_path, write_tiny_spec):
    """tmp/notes (a vault), tmp/experiments (tiny specs), tmp/elsewhere/x.toml (a valid spec
    outside the experiments folder) and tmp/notes/secret.md (a note a path could reach)."""
    vault = tmp_path / "notes"
    vault.mkdir()
    (vault / "secret.md").write_text("# secret\n", encoding="utf-8")
    specs = tmp_path / "experiments"
    specs.mkdir()
    write_tiny_spec(specs, "tiny-a")
    write_tiny_spec(specs, "tiny-long", iterations=100_000)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.toml").write_text(ELSEWHERE, encoding="utf-8")
    return tmp_path, vault, specs


def cli(capsys, tmp: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--vault", str(tmp / "notes"), "--experiments", str(tmp / "experiments"), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> set[Path]:
    """Every file, but the vault's own cache (``.notebase``), which any command may write."""
    return {p for p in folder.rglob("*") if p.is_file() and ".notebase" not in p.parts}


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- names, paths


@pytest.mark.parametrize(
    "experiment",
    ["../elsewhere/x", "{tmp}/elsewhere/x", "../notes/secret", "..", "sub/../tiny-a"],
)
def test_run_experiment_takes_a_name_not_a_path(world, capsys, experiment):
    # issue 11 defect 6: `--experiment ../x` and absolute paths ran specs from anywhere.
    tmp, _, specs = world
    before = files_under(tmp)
    code, out, err = cli(capsys, tmp, "run", "-e", experiment.format(tmp=tmp), "--device", "cpu")
    assert code == 2 and out == ""
    assert "is not an experiment name" in one_line(err)
    assert files_under(tmp) == before  # nothing ran, nothing was written


@pytest.mark.parametrize(
    "note",
    [
        "---\nexperiments: [{tmp}/elsewhere/x]\n---\n# abs\n",
        '---\nexperiments: ["../elsewhere/x"]\n---\n# up\n',
        "# inline\n\n## 질문\n\n1. 밖으로? [[experiments/../notes/secret]]\n",
        "# inline\n\n## 질문\n\n1. 밖으로? [[experiments/../elsewhere/x]]\n",
    ],
)
def test_a_note_cannot_link_a_spec_or_a_file_outside_the_folder(world, capsys, note):
    # issue 11 defects 5 and 6: frontmatter `/abs/x`, `[[experiments/../..]]`.
    tmp, vault, _ = world
    (vault / "evil.md").write_text(note.format(tmp=tmp), encoding="utf-8")
    before = {p: p.read_bytes() for p in files_under(tmp)}
    code, out, err = cli(capsys, tmp, "run", "evil", "--device", "cpu")
    assert code == 2 and out == ""
    assert "is not an experiment name" in one_line(err)
    assert {p: p.read_bytes() for p in files_under(tmp)} == before


def test_a_spec_whose_name_is_a_path_never_runs(world, capsys):
    # issue 11 defect 5: `name = "../../outside/x"` wrote the plot outside the vault.
    tmp, vault, specs = world
    (specs / "evil.toml").write_text('name = "../../outside/x"\n' + ELSEWHERE, encoding="utf-8")
    (vault / "evil.md").write_text('---\nexperiments: [evil]\n---\n# e\n', encoding="utf-8")
    before = files_under(tmp)
    code, _, err = cli(capsys, tmp, "run", "evil", "--device", "cpu")
    assert code == 2 and "evil.toml: name: '../../outside/x'" in one_line(err)
    code, out, err = cli(capsys, tmp, "experiments")
    assert code == 0 and "tiny-a" in out and "outside" not in out
    assert "evil.toml: name:" in err
    assert files_under(tmp) == before


def test_a_folder_named_like_a_spec_is_said_to_be_one(world, capsys):
    # issue 11 defect 23.
    tmp, _, specs = world
    (specs / "dir.toml").mkdir()
    code, _, err = cli(capsys, tmp, "run", "-e", "dir")
    assert code == 2
    assert one_line(err) == f"notebase: {specs / 'dir.toml'}: is not a file (a spec is a .toml file)"
    code, out, err = cli(capsys, tmp, "experiments", "--json")
    assert [s["name"] for s in json.loads(out)] == ["tiny-a", "tiny-long"] and err == ""


def test_two_specs_with_one_name_are_refused_naming_both(world, capsys):
    # issue 11 defect 26.
    tmp, _, specs = world
    (specs / "copy.toml").write_bytes((specs / "tiny-a.toml").read_bytes())
    code, _, err = cli(capsys, tmp, "run", "-e", "tiny-a")
    assert code == 2 and one_line(err) == (
        f"notebase: experiment 'tiny-a' is defined twice: {specs / 'copy.toml'} and "
        f"{specs / 'tiny-a.toml'} (give each its own name =)"
    )
    code, out, err = cli(capsys, tmp, "experiments")
    assert code == 0 and "tiny-a" not in out and "tiny-long" in out
    assert "'tiny-a' is defined twice" in err


# --------------------------------------------------------------------------- folders, flags


def test_runs_that_is_a_file_is_one_line_and_nothing_starts(world, capsys):
    # issue 11 defect 18: a traceback, then "the run failed".
    tmp, vault, specs = world
    (specs / "runs").write_text("", encoding="utf-8")
    code, out, err = cli(capsys, tmp, "run", "-e", "tiny-a", "--device", "cpu")
    assert code == 2 and out == ""
    assert one_line(err) == f"notebase: cannot write run records to {specs / 'runs'}: it is not a folder"
    (vault / "n.md").write_text("---\nexperiments: [tiny-a]\n---\n# n\n", encoding="utf-8")
    code, out, err = cli(capsys, tmp, "run", "n", "--device", "cpu")
    assert code == 2 and "cannot write run records" in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [[], ["app"], ["check"], ["show", "x"], ["tags"], ["questions"], ["search", "x"],
     ["index"], ["run", "x.md"]],
)
def test_a_missing_vault_is_the_same_line_for_every_command(tmp_path, capsys, argv):
    # issue 11 defect 27: three wordings ("no vault folder at", "does not exist", "not found").
    missing = tmp_path / "nope"
    code = main(["--vault", str(missing), "--experiments", str(tmp_path), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"notebase: vault folder {missing} does not exist (use --vault DIR or $NOTEBASE_VAULT)"
    )


@pytest.mark.parametrize("argv", [["experiments"], ["experiments", "--json"], ["run", "-e", "x"]])
def test_a_missing_experiments_folder_is_exit_2(tmp_path, capsys, argv):
    # issue 11 defect 27: `--experiments /nonexistent` exited 0.
    missing = tmp_path / "nope"
    code = main(["--experiments", str(missing), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"notebase: experiments folder {missing} does not exist "
        "(use --experiments DIR or $NOTEBASE_EXPERIMENTS)"
    )


def test_an_empty_experiments_folder_is_still_an_empty_list(tmp_path, capsys):
    code = main(["--experiments", str(tmp_path), "experiments"])
    assert code == 0 and "no experiment specs in" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "prog"),
    [(["run", "--bogus"], "notebase"), (["--nope"], "notebase"),
     (["run", "--device", "tpu"], "notebase run"), (["experiments", "--jsn"], "notebase")],
)
def test_a_bad_flag_is_one_line_exit_2(capsys, argv, prog):
    # issue 11 defect 27: usage block plus error.
    with pytest.raises(SystemExit) as caught:
        main(argv)
    out, err = capsys.readouterr()
    assert caught.value.code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"{prog}: ") and line.endswith(f"(see `{prog} --help`)")
    assert "usage:" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_said_once_for_a_note(world, capsys):
    # issue 11 defect 27: the runner's error event was printed, then the same UserError.
    tmp, vault, _ = world
    (vault / "n.md").write_text("---\nexperiments: [tiny-a]\n---\n# n\n", encoding="utf-8")
    code, out, err = cli(capsys, tmp, "run", "n", "--device", "cuda")
    assert code == 2 and out == ""
    assert one_line(err).startswith("notebase: CUDA requested but no GPU is available")


# --------------------------------------------------------------------------- memory


def test_force_lets_the_runner_skip_the_memory_check(world, capsys, monkeypatch):
    """`--force` reaches the runner as NOTEBASE_ALLOW_LARGE=1, however it is started, and
    only for the runs of that command."""
    import notebase.experiments.note_runs as note_runs
    from notebase.experiments.run_process import RunEnd

    tmp, vault, _ = world
    (vault / "n.md").write_text("---\nexperiments: [tiny-a]\n---\n# n\n", encoding="utf-8")
    seen = []

    def stand_in(spec_path, **kwargs):
        seen.append(os.environ.get("NOTEBASE_ALLOW_LARGE"))
        return RunEnd("failed", "stand-in", None, None, None, ended=True)

    monkeypatch.setattr(note_runs, "run_spec", stand_in)
    monkeypatch.delenv("NOTEBASE_ALLOW_LARGE", raising=False)
    cli(capsys, tmp, "run", "-e", "tiny-a", "--force", "--json")
    cli(capsys, tmp, "run", "n", "--force", "--json")
    cli(capsys, tmp, "run", "-e", "tiny-a", "--json")
    assert seen == ["1", "1", None]
    assert "NOTEBASE_ALLOW_LARGE" not in os.environ


def run_runner(spec: Path, runs: Path, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    """The runner module in a child whose available memory reads as 1 KiB."""
    code = (
        "import sys\n"
        "import notebase.experiments.measure as m\n"
        "m.available_bytes = lambda device: 1024\n"
        "from notebase.experiments.runner import main\n"
        f"sys.exit(main(['--spec', {str(spec)!r}, '--quick', '--device', 'cpu', "
        f"'--runs-dir', {str(runs)!r}]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240,
        env={**os.environ, **env_extra},
    )


@pytest.mark.slow  # a runner subprocess starts torch
def test_the_runner_refuses_a_run_too_large_and_the_override_runs_it(world):
    # issue 11 defect 21.
    tmp, _, specs = world
    env = {k: v for k, v in os.environ.items() if k != "NOTEBASE_ALLOW_LARGE"}
    refused = run_runner(specs / "tiny-a.toml", tmp / "runs", {"NOTEBASE_ALLOW_LARGE": ""})
    assert refused.returncode == 2, refused.stderr
    (event,) = [json.loads(line) for line in refused.stdout.splitlines()]
    assert event["event"] == "error" and "needs about" in event["message"]
    assert "more than the 1.0 KiB available on cpu" in event["message"]
    assert not (tmp / "runs").exists()
    assert env  # (the override below comes only from the variable)
    allowed = run_runner(specs / "tiny-a.toml", tmp / "runs", {"NOTEBASE_ALLOW_LARGE": "1"})
    assert allowed.returncode == 0, allowed.stderr
    assert [r["status"] for r in list_records(tmp / "runs")] == ["ok"]


@pytest.mark.slow  # a runner subprocess starts torch
def test_a_huge_spec_is_one_line_exit_2(world):
    tmp, _, specs = world
    (specs / "huge.toml").write_text(
        'task = "sinusoid"\nalgorithms = ["maml"]\n[params]\nhidden = 30000\n', encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "--experiments", str(specs), "run", "-e", "huge",
         "--device", "cpu"],
        capture_output=True, text=True, timeout=240,
        env={k: v for k, v in os.environ.items() if k != "NOTEBASE_ALLOW_LARGE"},
    )
    assert done.returncode == 2 and done.stdout == ""
    line = one_line(done.stderr)
    assert line.startswith(f"notebase: {specs / 'huge.toml'}: needs about ") and "TiB" in line


# --------------------------------------------------------------------------- kills


def start_cli(tmp: Path, *argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "notebase", "--vault", str(tmp / "notes"),
         "--experiments", str(tmp / "experiments"), *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def wait_for_running_record(runs: Path, timeout: float = 120.0) -> dict:
    """The run's record once the runner is training (a result or progress is on disk)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list_records(runs) if runs.is_dir() else []
        if found and found[0]["status"] == "running":
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no running record in {runs}")


def wait_for_end(runs: Path, run_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = load_record(runs / f"{run_id}.json")
        if record["status"] != "running":
            return record
        time.sleep(0.1)
    raise AssertionError(f"{run_id} still running")


def pid_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_cli_stops_the_runner_and_records_why(world):
    # issue 11 defect 17: the runner went on, printed a double traceback, left `running`.
    tmp, _, specs = world
    proc = start_cli(tmp, "run", "-e", "tiny-long", "--device", "cpu")
    record = wait_for_running_record(specs / "runs")
    proc.kill()
    proc.wait(timeout=10)
    assert pid_gone(record["pid"]), "the runner outlived the CLI"
    ended = wait_for_end(specs / "runs", record["run_id"])
    assert ended["status"] == "interrupted" and not ended.get("runner_died")
    assert ended["error"] == "interrupted: the process that started the run ended"


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_sigterm_of_the_cli_interrupts_the_run_and_exits_130(world):
    tmp, _, specs = world
    proc = start_cli(tmp, "run", "-e", "tiny-long", "--device", "cpu")
    record = wait_for_running_record(specs / "runs")
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "run interrupted" in err
    assert load_record(specs / "runs" / f"{record['run_id']}.json")["status"] == "interrupted"


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_a_runner_whose_reader_goes_away_stops_without_a_traceback(world, tmp_path):
    from notebase.experiments.runner import iter_events, start_run_process

    tmp, _, specs = world
    stderr_file = tmp_path / "runner-stderr.txt"
    with stderr_file.open("w") as stderr:
        proc = start_run_process(specs / "tiny-long.toml", device="cpu",
                                 runs_dir=specs / "runs", stderr=stderr)
        for event in iter_events(proc):
            if event["event"] == "progress":
                break
        proc.stdout.close()  # the reader is gone; the parent is still alive
        assert proc.wait(timeout=60) == 130
    assert "Traceback" not in stderr_file.read_text(), stderr_file.read_text()
    (record,) = list_records(specs / "runs")
    assert record["status"] == "interrupted"
    assert record["error"] == "interrupted: the process that started the run ended"


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_a_killed_runner_reads_as_interrupted_runner_died(world):
    tmp, _, specs = world
    proc = start_cli(tmp, "run", "-e", "tiny-long", "--device", "cpu", "--json")
    record = wait_for_running_record(specs / "runs")
    os.kill(record["pid"], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (1, 130) and "Traceback" not in err  # it did not end well
    path = specs / "runs" / f"{record['run_id']}.json"
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "running"  # as left
    read = load_record(path)
    assert read["status"] == "interrupted" and read["runner_died"] is True
    assert read["error"].startswith("interrupted (runner died): process ")


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_a_note_run_writes_its_plot_and_says_no_plot_only_when_there_is_none(world, capsys):
    # issue 11 defect 25: "no plot" was printed for a plot written outside the vault.
    tmp, vault, _ = world
    (vault / "n.md").write_text("---\nexperiments: [tiny-a]\n---\n# n\n", encoding="utf-8")
    code, out, err = cli(capsys, tmp, "run", "n", "--device", "cpu")  # full: --quick writes nothing
    assert code == 0, err
    assert "no plot" not in out + err
    plots = list((vault / "attachments").glob("tiny-a-*.png"))
    assert len(plots) == 1
    assert f"![[attachments/{plots[0].name}]]" in (vault / "n.md").read_text(encoding="utf-8")
