"""The Markdown of the detail views the main screen opens: a citation, a question, an
experiment's last run. Plain functions of a ``NotePage``: ``(title, markdown)``."""

from __future__ import annotations

from notebase.tui.plot import results_chart
from notebase.tui.views import NotePage


def citation_markdown(page: NotePage, label: str) -> tuple[str, str] | None:
    """Title and Markdown body of the detail view for footnote ``label`` of ``page``."""
    for footnote in page.footnotes:
        if footnote.label == label:
            lines = [footnote.text.strip() or "*(empty definition)*", ""]
            fields = [
                ("authors", ", ".join(footnote.authors)),
                ("title", footnote.title or ""),
                ("venue", footnote.venue or ""),
                ("year", str(footnote.year or "")),
                ("cited", f"{footnote.references}× in this note"),
            ]
            work = footnote.work
            if work is not None:
                in_bib = " (bibliography)" if work.in_bibliography else ""
                fields.append(("work", work.key + in_bib))
                fields.append(("also cited in", ", ".join(title for _, title in work.others)))
                fields += [("⚠", problem) for problem in work.problems]
            lines += ["| | |", "|---|---|"]
            lines += [f"| {name} | {value.replace('|', '/')} |" for name, value in fields if value]
            return f"[^{label}] · {page.title}", "\n".join(lines) + "\n"
    return None


def question_markdown(page: NotePage, number: int) -> tuple[str, str] | None:
    """Title and Markdown of question ``number`` of ``page``: its text, open or answered."""
    for question in page.questions:
        if question.number == number:
            lines = [question.text, ""]
            if question.status == "answered":
                lines.append(f"**answered** by run `{question.answered_by}`")
            else:
                lines.append("**open**")
            if question.experiments:
                lines.append("\nexperiments: " + ", ".join(f"`{e}`" for e in question.experiments))
            return f"Q{number} · {page.title}", "\n".join(lines)
    return None


def experiment_markdown(page: NotePage, name: str) -> tuple[str, str]:
    """Title and Markdown of experiment ``name`` as ``page`` names it: its spec, its last
    run's numbers as a bar chart."""
    summary = next((s for s in page.experiments if s.name == name), None)
    if summary is None:
        lines = ["**not named by this note**"]
    else:
        spec_text = f"`{summary.spec_path.name}`" if summary.spec_path else "**missing**"
        lines = [f"spec: {spec_text}"]
        if summary.run_id:
            lines.append(f"last run: `{summary.run_id}` ({summary.status or 'no record'})")
            chart = results_chart(summary.results)
            if chart:
                lines += ["", "```", chart, "```"]
        else:
            lines.append("not run yet for this note")
    lines.append("\n`r` runs it, `R` runs it quick")
    return f"⚗ {name}", "\n".join(lines)
