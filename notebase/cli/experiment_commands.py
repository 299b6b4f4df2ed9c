"""`notebase experiments` and `notebase run`: list experiment specs, run one.

Runs happen in a subprocess (`python -m notebase.experiments.runner`) that prints JSON-lines
events; this process only shows progress and the result, so it never imports torch.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from notebase.cli.output import print_json
from notebase.errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


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
    run.set_defaults(handler=run_command)


def list_experiments(args: argparse.Namespace) -> int:
    from notebase.experiments.spec import list_specs

    errors: list[str] = []
    specs = list_specs(args.experiments, errors)
    for error in errors:  # a broken spec is reported, the others are still listed
        print(f"notebase: {error}", file=sys.stderr)
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
        print(f"{s.name:<{width}}  {s.task:<8}  {', '.join(s.algorithms):<36}  {s.title}")
    return 0


def run_command(args: argparse.Namespace) -> int:
    if args.note is not None:
        from notebase.experiments.note_runs import run_note_command

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
    )
    if args.json:
        print_json(summary)
    else:
        print_results_table(summary)
    return {"ok": 0, "failed": 1}.get(summary["status"], 130)


class ProgressLine:
    """One self-overwriting progress line on stderr (plain lines when it is not a terminal)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
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
    spec_path: Path, *, quick: bool, device: str, runs_dir: Path, show_progress: bool
) -> dict[str, Any]:
    """Run a spec in the runner subprocess; return ``{run_id, experiment, device, ...}``.

    The runner gets its own session, so a terminal Ctrl-C reaches only us; we forward one
    SIGINT and keep reading until it has written its ``interrupted`` record, then report it.
    """
    from notebase.experiments.runner import iter_events, start_run_process

    progress = ProgressLine()
    proc = start_run_process(
        spec_path, quick=quick, device=device, runs_dir=runs_dir, start_new_session=True
    )
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
    error_message = None
    interrupted = False
    previous_handler = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        nonlocal interrupted
        if not interrupted and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        interrupted = True

    signal.signal(signal.SIGINT, on_sigint)
    try:
        for event in iter_events(proc):
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
                        f"{row['post_adaptation_loss']:.3f}"
                    )
            elif kind == "end":
                summary.update(status=event["status"], error=event.get("error"))
                summary["record"] = event.get("record") or summary["record"]
            elif kind == "error":
                error_message = event.get("message")
            elif kind == "log" and show_progress and "Traceback" in str(event.get("message")):
                progress.say(str(event["message"]).rstrip())
        returncode = proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
    if error_message is not None or returncode == 2:
        raise UserError(error_message or "the experiment runner rejected its arguments")
    if summary["status"] is None:
        summary["status"] = "interrupted" if interrupted else "failed"
        summary["error"] = summary["error"] or f"runner exited with code {returncode}"
    if show_progress and summary["status"] != "ok":
        progress.say(f"run {summary['status']}: {summary['error']}")
    if show_progress and summary["record"]:
        progress.say(f"record: {summary['record']}")
    return summary


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
