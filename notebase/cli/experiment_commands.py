"""`notebase experiments` and `notebase run`: list experiment specs, run one, or run the
experiments a note links and write their results into it (`run NOTE`).

Runs happen in a subprocess (`python -m notebase.experiments.runner`) that prints JSON-lines
events; this process only shows progress and the result, so it never imports torch. The
run-and-write-back work of `run NOTE` is `notebase.experiments.note_runs`; this module only
prints.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebase.cli.output import print_json, print_text
from notebase.errors import UserError
from notebase.experiments.device import DEVICE_CHOICES  # no torch: it loads inside functions

if TYPE_CHECKING:
    from notebase.experiments.note_runs import RunOutcome


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser(
        "experiments", help="list the experiment specs", description="List experiment specs."
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_experiments)

    run = subparsers.add_parser(
        "run",
        help="run an experiment (or the experiments a note asks for)",
        description=(
            "Run the experiment spec named by --experiment, or the experiments NOTE links to. "
            "Progress goes to stderr; a run record is written to <experiments>/runs/."
        ),
    )
    run.add_argument("note", nargs="?", default=None, help="a note whose experiments to run")
    run.add_argument("--experiment", "-e", default=None, help="the experiment spec name")
    run.add_argument("--quick", action="store_true", help="use the spec's [quick] overrides")
    run.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="default: auto")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.add_argument(
        "--force",
        action="store_true",
        help=(
            "run even when the memory estimate says the run does not fit in the memory "
            "available (also: allow_large = true in the spec, or NOTEBASE_ALLOW_LARGE=1)"
        ),
    )
    run.add_argument("--nproc", type=int, default=1,
                     help="runner processes on this machine, started by torch.distributed.run "
                     "(each meta-batch split between them; identical to one process when the meta-batch "
                     "has at least that many reduce_groups: by default one per 32 tasks, at most 8)")
    run.add_argument("--nnodes", type=int, default=1, help="machines taking part (torchrun's)")
    run.add_argument("--node-rank", type=int, default=0, help="this machine's rank (torchrun's)")
    run.add_argument("--rdzv-endpoint", default=None,
                     help="HOST:PORT where the machines meet (torchrun's; needed with --nnodes)")
    run.set_defaults(handler=run_command)


def _ranks_text(row: dict) -> str:
    """``  on 2 processes, gather 4.1 ms/it`` for a row trained on several; else nothing."""
    size, comm = row.get("world_size") or 1, row.get("communication_seconds_per_iteration")
    if size <= 1:
        return ""
    gather = f", gather {comm * 1000:.2f} ms/it" if isinstance(comm, int | float) else ""
    return f"  on {size} processes{gather}"


def _worth_printing(log: dict) -> bool:
    """A runner log line the CLI shows: a traceback or a notice (the app shows every line)."""
    return bool(log.get("notice")) or "Traceback" in str(log.get("message"))


def list_experiments(args: argparse.Namespace) -> int:
    from notebase.experiments.spec import check_experiments_dir, list_specs

    check_experiments_dir(args.experiments)  # a missing folder is an error, not an empty list
    errors: list[str] = []
    specs = list_specs(args.experiments, errors)
    for error in errors:  # a broken spec is reported, the others are still listed
        print_text(f"notebase: {error}", file=sys.stderr)
    if args.json:
        print_json(
            [
                {
                    "name": s.name,
                    "title": s.title,
                    "task": s.task,
                    "algorithms": s.algorithms,
                    "path": str(s.path),
                }
                for s in specs
            ]
        )
        return 0
    if not specs:
        print(f"no experiment specs in {args.experiments}", file=sys.stderr)
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        print_text(f"{s.name:<{width}}  {s.task:<8}  {', '.join(s.algorithms):<36}  {s.title}")
    return 0


def run_command(args: argparse.Namespace) -> int:
    with _allow_large(getattr(args, "force", False)):
        return _run(args)


@contextlib.contextmanager
def _allow_large(force: bool) -> Iterator[None]:
    """With `force`, the runners started inside inherit ``NOTEBASE_ALLOW_LARGE=1``
    (`runner.main` reads it), however the run is started (--experiment, NOTE)."""
    if not force:
        yield
        return
    previous = os.environ.get("NOTEBASE_ALLOW_LARGE")
    os.environ["NOTEBASE_ALLOW_LARGE"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("NOTEBASE_ALLOW_LARGE", None)
        else:
            os.environ["NOTEBASE_ALLOW_LARGE"] = previous


def launch_from(args: argparse.Namespace):
    """The `Launch` that ``--nproc``/``--nnodes``/``--node-rank``/``--rdzv-endpoint`` ask for."""
    from notebase.experiments.launch import Launch

    nproc, nnodes = getattr(args, "nproc", 1), getattr(args, "nnodes", 1)
    if nproc < 1 or nnodes < 1:
        raise UserError("--nproc and --nnodes must be at least 1")
    return Launch(nproc=nproc, nnodes=nnodes, node_rank=getattr(args, "node_rank", 0),
                  rdzv_endpoint=getattr(args, "rdzv_endpoint", None))


def _run(args: argparse.Namespace) -> int:
    if args.note is not None:
        return run_note_command(args)
    if args.experiment is None:
        print(
            "notebase run: give a NOTE or --experiment NAME (see `notebase experiments`)",
            file=sys.stderr,
        )
        return 2
    from notebase.experiments.spec import find_spec

    spec = find_spec(args.experiments, args.experiment)
    summary = run_spec_subprocess(
        spec.path,
        quick=args.quick,
        device=args.device,
        runs_dir=Path(args.experiments) / "runs",
        show_progress=not args.json,
        launch=launch_from(args),
    )
    if args.json:
        print_json(summary)
    else:
        print_results_table(summary)
    return {"ok": 0, "failed": 1}.get(summary["status"], 130)


class ProgressLine:
    """One self-overwriting progress line on stderr (plain lines when it is not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now, so that redirections are seen
        self.tty = self.stream.isatty()
        self.last_text = ""

    def show(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text[:119].ljust(len(self.last_text)))
            self.stream.flush()
        self.last_text = text

    def say(self, text: str) -> None:
        if self.tty and self.last_text:
            self.stream.write("\r" + " " * len(self.last_text) + "\r")
            self.last_text = ""
        self.stream.write(text + "\n")
        self.stream.flush()


def _bar(fraction: float, width: int = 24) -> str:
    filled = int(round(max(0.0, min(1.0, fraction)) * width))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def run_spec_subprocess(
    spec_path: Path, *, quick: bool, device: str, runs_dir: Path, show_progress: bool,
    launch=None,
) -> dict[str, Any]:
    """Run a spec (`note_runs.run_spec`); return ``{run_id, experiment, device, ...}``.

    Ctrl-C sets the run's cancel event: the runner gets one SIGINT and writes its
    ``interrupted`` record, which is then reported.
    """
    from notebase.experiments.note_runs import run_spec

    progress = ProgressLine()
    summary: dict[str, Any] = {
        "run_id": None,
        "experiment": None,
        "device": None,
        "world_size": 1,
        "record": None,
        "status": None,
        "error": None,
        "results": [],
    }

    def on_event(event: dict) -> None:
        kind = event.get("event")
        if kind == "start":
            summary.update(
                run_id=event["run_id"],
                experiment=event["experiment"],
                device=event["device"],
                record=event.get("record"),
            )
            if show_progress:
                progress.say(
                    f"run {event['run_id']}: {event['experiment']} on "
                    f"{event.get('device_name') or event['device']}, "
                    f"{event['points']} runs"
                )
        elif kind == "progress" and show_progress:
            progress.show(
                f"{_bar(event['fraction'])} {event['fraction']:4.0%} "
                f"{event['algorithm']} ({event['point'] + 1}/{event['points']}) "
                f"iteration {event['iteration']}/{event['iterations']}"
            )
        elif kind == "result":
            summary["results"].append(event["row"])
            if show_progress:
                row = event["row"]
                progress.say(
                    f"  {row['algorithm']:<8} inner_steps={row['inner_steps']:<3} "
                    f"{row['seconds_per_iteration'] * 1000:8.2f} ms/it  "
                    f"loss {row['pre_adaptation_loss']:.3f} -> "
                    f"{row['post_adaptation_loss']:.3f}{_ranks_text(row)}"
                )
        elif kind == "log" and show_progress and _worth_printing(event):
            progress.say(str(event["message"]).rstrip())

    with _ctrl_c_cancels() as cancel:
        run = run_spec(
            spec_path, quick=quick, device=device, runs_dir=runs_dir, on_event=on_event,
            cancel=cancel, **({"launch": launch} if launch is not None else {}),
        )
    summary.update(status=run.status, error=run.error,
                   world_size=(run.record or {}).get("world_size", 1))
    if run.record_path is not None:
        summary["record"] = str(run.record_path)
    if show_progress and run.status != "ok":
        progress.say(f"run {run.status}: {run.error}")
    if show_progress and summary["record"]:
        progress.say(f"record: {summary['record']}")
    return summary


@contextlib.contextmanager
def _ctrl_c_cancels() -> Iterator[threading.Event]:
    """While inside, Ctrl-C (SIGINT) and SIGTERM set the yielded event (the running runner
    gets one SIGINT through it and records ``interrupted``) instead of ending this process
    with the runner still going. (SIGKILL cannot be caught: then the runner notices its
    parent is gone and stops itself, see `notebase.experiments.stopping`.)"""
    cancel = threading.Event()
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, lambda signum, frame: cancel.set())
        except ValueError:  # not the main thread: signals are not ours to catch
            break
    try:
        yield cancel
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def print_results_table(summary: dict[str, Any]) -> None:
    rows = summary["results"]
    if not rows:
        return
    print(
        f"{'algorithm':<9} {'inner':>5} {'ms/it':>9} {'tasks/s':>9} {'peak MB':>9} "
        f"{'pre loss':>9} {'post loss':>9}"
    )
    for row in rows:
        line = (
            f"{row['algorithm']:<9} {row['inner_steps']:>5} "
            f"{row['seconds_per_iteration'] * 1000:>9.2f} {row['tasks_per_second']:>9.0f} "
            f"{row['peak_memory_bytes'] / 1e6:>9.2f} "
            f"{row['pre_adaptation_loss']:>9.4f} {row['post_adaptation_loss']:>9.4f}"
        )
        if "post_adaptation_accuracy" in row:
            line += (
                f"  acc {row['pre_adaptation_accuracy']:.1%} -> "
                f"{row['post_adaptation_accuracy']:.1%}"
            )
        print(line)


# --------------------------------------------------------------------------- run NOTE


def _progress_printer(experiment: str) -> Callable[[dict], None]:
    """Runner events for people watching a CLI run: one self-overwriting progress line on a
    terminal, a line per finished sweep point, on stderr."""
    from notebase.experiments.run_process import event_kind

    line = ProgressLine(sys.stderr)

    def show(event: dict) -> None:
        kind = event_kind(event)
        if kind == "start":
            line.say(
                f"{experiment}: run {event.get('run_id')} on "
                f"{event.get('device_name') or event.get('device')}, {event.get('points')} points"
            )
        elif kind == "progress":
            fraction = float(event.get("fraction") or 0.0)
            line.show(
                f"{experiment}: {fraction:4.0%} {event.get('algorithm')} "
                f"iteration {event.get('iteration')}/{event.get('iterations')}"
            )
        elif kind == "result":
            row = event.get("row") or {}
            seconds = row.get("seconds_per_iteration")
            timing = f"{seconds * 1000:.2f} ms/it" if isinstance(seconds, int | float) else ""
            line.say(
                f"  {row.get('algorithm', '?'):<8} inner_steps={row.get('inner_steps', '-')!s:<3} "
                f"{timing}{_ranks_text(row)}"
            )
        elif kind == "log" and _worth_printing(event):
            line.say(str(event.get("message")).rstrip())
        # An "error" event (the runner refused to start) is not printed here: it comes back
        # as the UserError that ends the command, printed once.

    return show


def _json_run(vault_root: Path, outcome: RunOutcome) -> dict[str, Any]:
    from notebase.experiments.note_runs import vault_relative

    write = outcome.write
    return {
        "run_id": outcome.run_id,
        "experiment": outcome.experiment,
        "status": outcome.status,
        "error": outcome.error,
        "record": str(outcome.record_path) if outcome.record_path else None,
        "written_to": vault_relative(vault_root, write.written_to) if write.written_to else None,
        "write": write.status,
        "reason": write.reason,
        "plot": vault_relative(vault_root, outcome.plot) if outcome.plot else None,
        "ending": outcome.ending,
        "replaced_block": str(outcome.replaced_saved) if outcome.replaced_saved else None,
        "results": (outcome.record or {}).get("results", []),
    }


def _print_preview(record: dict) -> None:
    """A quick run's findings and table, as its block would read (in English)."""
    from notebase.experiments.results_markdown import findings_lines, render_table

    lines, _ = findings_lines(record, "en")
    for line in [*lines[1:], "", *render_table(record), ""]:
        print_text(line)


def run_note_command(args) -> int:
    """``notebase run NOTE [--experiment NAME] [--quick] [--device D] [--json]``.

    Exit 0 when every run ended ok (its results written to the note or its sidecar), 1 when
    a run failed (that note's last good block stays), 2 for a user error (nothing ran),
    130 when interrupted with Ctrl-C (the interrupted run wrote nothing).
    """
    from notebase.core.vault import Vault
    from notebase.experiments.note_runs import choose_experiments, run_note_experiment

    vault_root = Path(args.vault)
    vault = Vault.load(vault_root)
    note = vault.find(args.note)
    if not note.valid:
        raise UserError(f"note {note.path} cannot be read: {'; '.join(note.errors)}")
    specs = choose_experiments(note, Path(args.experiments), getattr(args, "experiment", None))
    note_file = vault.file_path(note.path)
    runs_dir = Path(args.experiments) / "runs"
    outcomes = []
    # Ctrl-C: the runner (in its own session) gets one SIGINT through `cancel`, records
    # ``interrupted``, and the note stays as it was; later experiments are not started.
    with _ctrl_c_cancels() as cancel:
        for spec in specs:
            if cancel.is_set():
                break
            outcome = run_note_experiment(
                vault_root,
                note_file,
                spec,
                config=vault.config,
                quick=bool(getattr(args, "quick", False)),
                device=getattr(args, "device", None) or "auto",
                runs_dir=runs_dir,
                on_event=_progress_printer(spec.name),
                cancel=cancel,
                stderr=sys.stderr,  # the runner's own output stays visible, as it comes
                launch=launch_from(args),
            )
            outcomes.append(outcome)
            if not getattr(args, "json", False):
                # Results written somewhere go to stdout; a run that wrote nothing, to stderr.
                wrote = outcome.write.status in ("written", "sidecar")
                if outcome.ending == "preview" and outcome.record:
                    _print_preview(outcome.record)  # a quick run is shown, never written
                    wrote = True
                print_text(outcome.message(), file=sys.stdout if wrote else sys.stderr)
    if getattr(args, "json", False):
        print_json({"note": note.path, "runs": [_json_run(vault_root, o) for o in outcomes]})
    if cancel.is_set():
        return 130
    return 0 if all(o.status == "ok" for o in outcomes) else 1

