"""A small Korean vault and experiments folder for the app's Pilot tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from notebase.tui.app import NotebaseApp, make_app

SIZE = (120, 40)

NOTES = {
    "메타러닝의 비용.md": """\
        ---
        title: 메타러닝의 계산 비용
        tags: [ml/meta, 비용]
        aliases: [meta cost]
        created: 2025-01-02
        experiments: [tiny]
        ---
        # 메타러닝의 계산 비용

        메타러닝에서 계산량이 큰 이유는 내부 루프 때문이다[^1]. 자세한 내용은 [[MAML]]과
        [[일차 근사|FOMAML 노트]]를 보라.

        ## 질문 & 확장

        1. 내부 스텝이 늘면 메모리는 선형으로 늘어나는가? [[experiments/tiny]]
        2. 분산 학습으로 비용을 줄일 수 있는가?

        ## 출처

        [^1]: Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning for fast adaptation of deep networks." *ICML*, 2017.
            > "an outer optimization loop over multiple tasks"
        """,
    "알고리즘/MAML.md": """\
        ---
        title: MAML
        tags: [ml/meta/maml]
        ---
        # MAML

        이계 미분이 필요하다. 비용은 [[메타러닝의 비용]]에서 다룬다.
        """,
    "알고리즘/일차 근사.md": """\
        ---
        title: 일차 근사
        tags: [ml/meta/fomaml]
        ---
        # 일차 근사

        헤시안 항을 버린다. [[MAML]] 참고.
        """,
    "일기.md": """\
        ---
        title: 오늘의 일기
        tags: [life]
        ---
        # 오늘의 일기

        산책을 했다.
        """,
}

TINY_SPEC = """\
name = "tiny"
title = "Tiny FOMAML run for the app's tests"
task = "sinusoid"
algorithms = ["fomaml"]

[params]
inner_steps = 1
meta_batch = 2
meta_iterations = {iterations}
eval_tasks = 2
eval_steps = 1
hidden = 8
warmup = 0
threads = 1

[quick]
meta_iterations = 2
"""


def write_vault(root: Path, *, iterations: int = 3) -> tuple[Path, Path]:
    """Write the test vault and a tiny experiment under ``root``; return both folders."""
    vault = root / "vault"
    experiments = root / "experiments"
    for name, text in NOTES.items():
        path = vault / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    experiments.mkdir(parents=True, exist_ok=True)
    (experiments / "tiny.toml").write_text(
        TINY_SPEC.format(iterations=iterations), encoding="utf-8"
    )
    return vault, experiments


@pytest.fixture
def vault_dirs(tmp_path: Path) -> tuple[Path, Path]:
    return write_vault(tmp_path)


@pytest.fixture
def app(vault_dirs) -> NotebaseApp:
    vault, experiments = vault_dirs
    return make_app(vault, experiments, watch=False)


async def settle(app: NotebaseApp, pilot, delay: float = 0.1) -> None:
    """Let workers finish (all but the endless file watcher) and the screen catch up.

    Some workers start others after a refresh (load -> index), hence a few rounds.
    """
    for _ in range(3):
        pending = [w for w in app.workers if w.group != "watch" and not w.is_finished]
        if pending:  # an empty list would mean "all workers", the watcher included
            await app.workers.wait_for_complete(pending)
        await pilot.pause()
    await pilot.pause(delay)


async def wait_for(pilot, condition, seconds: float = 10.0) -> bool:
    """Pause until ``condition()`` holds (debounced search, file watching); False on timeout."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()
