"""A run as Markdown: the results table, the provenance line and the whole results block.

This only renders; `notebase.core.note_writer` puts the block into the note (and
`notebase.core.results_block` holds the block's grammar). The rendered block looks like::

    <!-- notebase:results experiment=NAME run=RUN_ID spec=HASH answers=1,3 date=...
         status=answered claims=ID:supported hash=... -->   (one line in the note)

    **Answer:** the one-line summary (`finding_text.Summary.summary`)

    **Findings**

    - maml: time per iteration grows linearly with inner steps, +1.1 ms/step (...)

    **Claims**

    - `ID` «the claim's text» — **supported**: the measured figures

    | algorithm | inner steps | s/iter | ... |
    |---|--:|--:|...|

    Run `RUN_ID` of `NAME` · 2026-11-27 15:10 UTC · device cpu: ... · torch 2.13.0 · commit 0123456789

    Answers question 1, 3.

    ![[attachments/NAME-RUN_ID.png]]

    <!-- /notebase:results -->

`notebase.experiments.results_table` reads the table back. Imports no torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from notebase.core.results_block import RenderedBlock


def human_bytes(value: float | int | None) -> str:
    """1536 -> ``1.5 KiB`` (binary units, 3 significant digits)."""
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            if unit == "B":
                return f"{int(size)} B"
            digits = 0 if abs(size) >= 100 else 1 if abs(size) >= 10 else 2
            return f"{size:.{digits}f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _number(value, spec: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value != value:  # NaN
        return "NaN"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def sweep_keys(record: dict) -> list[str]:
    """The swept parameters shown as columns: list-valued spec params that rows carry, else
    ``inner_steps`` when rows have it."""
    rows = record.get("results") or []
    spec = record.get("spec") or {}
    params = dict(spec.get("params") or {})
    if record.get("quick"):
        params.update(spec.get("quick") or {})
    keys = [k for k, v in params.items() if isinstance(v, list) and any(k in r for r in rows)]
    if not keys and any("inner_steps" in row for row in rows):
        keys = ["inner_steps"]
    return keys


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_table(record: dict) -> list[str]:
    """The Markdown table of a record's rows: one per algorithm and sweep point."""
    rows = record.get("results") or []
    if not rows:
        return ["_The run produced no result rows._"]
    keys = sweep_keys(record)
    with_accuracy = any(
        row.get("pre_adaptation_accuracy") is not None
        or row.get("post_adaptation_accuracy") is not None
        for row in rows
    )
    header = ["algorithm", *(k.replace("_", " ") for k in keys)]
    header += ["s/iter", "tasks/s", "peak memory", "pre loss", "post loss"]
    align = ["---", *("--:" for _ in keys), "--:", "--:", "--:", "--:", "--:"]
    # Several processes: time is the slowest rank's, memory the largest rank's, tasks/s the
    # total; the gather's time per iteration and its share are shown.
    distributed = any((row.get("world_size") or 1) > 1 for row in rows)
    shown = ["processes"] if distributed and "processes" not in keys else []
    if distributed:
        header += [*shown, "comm/iter", "comm share"]
        align += [*("--:" for _ in shown), "--:", "--:"]
    if with_accuracy:
        header += ["pre acc", "post acc"]
        align += ["--:", "--:"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    # One algorithm's sweep points together, algorithms in the order the run had them.
    first_seen = {name: i for i, name in reversed(list(enumerate(r.get("algorithm") for r in rows)))}
    for row in sorted(rows, key=lambda r: first_seen[r.get("algorithm")]):
        memory = human_bytes(row.get("peak_memory_bytes"))
        if row.get("memory_kind"):
            memory += f" ({row['memory_kind']})"
        cells = [str(row.get("algorithm", "?")), *(str(row.get(k, "–")) for k in keys)]
        cells += [
            _number(row.get("seconds_per_iteration"), ".3g"),
            _number(row.get("tasks_per_second"), ",.0f"),
            memory,
            _number(row.get("pre_adaptation_loss"), ".4g"),
            _number(row.get("post_adaptation_loss"), ".4g"),
        ]
        if distributed:
            comm = row.get("communication_seconds_per_iteration")
            single = (row.get("world_size") or 1) == 1  # no gather on one process
            cells += [
                *(str(row.get("world_size", "–")) for _ in shown),
                "–" if comm is None or single else f"{comm * 1000:.3g} ms",
                "–" if single else _number(row.get("communication_share"), ".0%"),
            ]
        if with_accuracy:
            cells += [
                _number(row.get("pre_adaptation_accuracy"), ".1%"),
                _number(row.get("post_adaptation_accuracy"), ".1%"),
            ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _when(record: dict) -> str:
    stamp = record.get("ended_at") or record.get("started_at")
    if not stamp:
        return "unknown date"
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").strip()


def provenance_line(record: dict) -> str:
    """Run id, experiment, date, device, torch version, commit (+dirty), quick or not."""
    device = record.get("device") or "?"
    name = str(record.get("device_name") or "")
    if name.startswith(f"{device}:") or name.startswith(f"{device} "):
        device = name  # the runner's name already says cpu / cuda
    elif name and name != device:
        device = f"{device} ({name})"
    commit = (record.get("git_commit") or "unknown")[:10]
    if record.get("git_dirty"):
        commit += " + uncommitted changes"
    parts = [
        f"Run `{record.get('run_id', '?')}` of `{record.get('experiment', '?')}`",
        _when(record),
        f"device {device}",
        f"torch {record.get('torch_version') or '?'}",
        f"commit {commit}",
    ]
    if record.get("quick"):
        parts.append("quick run")
    return " · ".join(parts)


def _attr(value: object) -> str:
    """A marker attribute value: no spaces, no ``-->``."""
    text = re.sub(r"\s+", "_", str(value))
    return text.replace("-->", "--_")


def findings_lines(record: dict, language: str = "en"):
    """The findings part of a block (summary, findings, claims) and its `Summary`."""
    from notebase.experiments.finding_text import summarize

    summary = summarize(record, language, sweep_keys(record))
    words = {"en": ("Answer", "Findings", "Claims"), "ko": ("답", "발견", "주장 검증")}
    answer, found, claims = words.get(language, words["en"])
    lines = ["", f"**{answer}:** {summary.summary}"]
    if summary.findings:
        lines += ["", f"**{found}**", "", *(f"- {text}" for text in summary.findings)]
    if summary.claims:
        lines += ["", f"**{claims}**", "", *summary.claims]
    return lines, summary


def render_block(
    record: dict,
    *,
    answers: Sequence[int] = (),
    plot_embed: str | None = None,
    spec_hash: str | None = None,
    language: str = "en",
) -> RenderedBlock:
    """The block for one run record.

    ``answers`` are the numbers of the questions that name this experiment; ``plot_embed``
    is the vault-relative path of the plot (``attachments/NAME-RUN.png``), if one was made;
    ``language`` (``en`` or ``ko``) the findings' language. The marker carries the block's
    ``status`` (``answered``/``inconclusive``, `notebase.experiments.finding_text`) and each
    claim's verdict (``claims=ID:VERDICT,...``): what the parser reads.
    """
    experiment = str(record["experiment"])
    attrs = {
        "run": _attr(record.get("run_id", "")),
        "spec": _attr(spec_hash or record.get("spec_hash") or ""),
    }
    if answers:
        attrs["answers"] = ",".join(str(n) for n in sorted(set(answers)))
    if record.get("ended_at"):
        attrs["date"] = _attr(record["ended_at"])
    found, summary = findings_lines(record, language)
    attrs["status"] = summary.status
    if summary.verdicts:
        attrs["claims"] = ",".join(f"{_attr(v.id)}:{v.verdict}" for v in summary.verdicts)
    body = [*found, "", *render_table(record), "", provenance_line(record)]
    if answers:
        numbers = ", ".join(str(n) for n in sorted(set(answers)))
        noun = "question" if len(set(answers)) == 1 else "questions"
        body += ["", f"Answers {noun} {numbers}."]
    if plot_embed:
        body += ["", f"![[{plot_embed}]]"]
    body.append("")
    return RenderedBlock(experiment=_attr(experiment), attrs=attrs, body=body)
