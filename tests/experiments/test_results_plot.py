"""The results plot: a real PNG from a run record, and no heavy imports before it is needed."""

from __future__ import annotations

import subprocess
import sys

from results_block_helpers import make_record  # in tests/

from notebase.experiments.plot import plot_path, plot_record

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_is_a_png_in_attachments(tmp_path):
    target = plot_path(tmp_path, "meta-cost", "r1")
    assert target == tmp_path / "attachments" / "meta-cost-r1.png"
    written = plot_record(make_record(), target)
    data = written.read_bytes()
    assert written == target and data.startswith(PNG_SIGNATURE)
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, 360)
    assert [p.name for p in target.parent.iterdir()] == ["meta-cost-r1.png"]  # no temp left


def test_plot_without_sweep_and_with_korean_name(tmp_path):
    record = make_record("비용-실험")
    record["spec"]["params"] = {"inner_steps": 1}
    record["results"] = [dict(r, inner_steps=1) for r in record["results"][:1]]
    del record["results"][0]["inner_steps"]
    written = plot_record(record, tmp_path / "attachments" / "비용-실험-r.png")
    assert written.read_bytes().startswith(PNG_SIGNATURE)


def test_results_modules_import_no_matplotlib_torch_or_textual():
    code = (
        "import sys, notebase.core.note_writer, notebase.experiments.results_markdown, "
        "notebase.experiments.plot, notebase.experiments.note_runs; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'torch', 'textual'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
