"""Chunked meta-batches: the same meta-gradient, one chunk's memory at a time."""

from __future__ import annotations

import pytest
import torch

from notebase.experiments import measure
from notebase.experiments.params import DEFAULTS
from notebase.experiments.runner import run_experiment
from notebase.experiments.spec import load_spec
from notebase.experiments.training import chunked
from tests.experiments.test_experiment_runner import tiny_spec
from tests.experiments.test_meta_gradients import assert_close, setup


@pytest.mark.parametrize("algorithm_name", ["maml", "fomaml", "reptile", "imaml", "anil"])
@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_chunks_of_a_batch_give_the_batchs_meta_gradient(algorithm_name, task_name):
    algorithm, model, params, batch, point = setup(algorithm_name, task_name, meta_batch=5)
    whole, whole_loss = algorithm.meta_gradients(params, batch)
    for chunk in (1, 2, 3):
        grads, loss = chunked(algorithm.meta_gradients, chunk)(params, batch)
        assert_close(grads, whole, atol=1e-12)
        assert torch.allclose(loss, whole_loss, atol=1e-12)


def test_a_batch_is_chunked_only_when_it_would_not_fit_the_budget():
    point = dict(DEFAULTS["sinusoid"], inner_steps=5)
    assert measure.task_chunk("sinusoid", "maml", point, 25) == 25
    assert measure.task_chunk("sinusoid", "maml", dict(point, task_chunk=7), 25) == 7
    big = dict(point, hidden=512, meta_batch=4096)
    chunk = measure.task_chunk("sinusoid", "maml", big, 4096)
    assert 1 <= chunk < 4096
    train_only = dict(big, eval_tasks=0)
    per_task = (measure.estimate_bytes("sinusoid", "maml", train_only, 2)
                - measure.estimate_bytes("sinusoid", "maml", train_only, 1))
    assert chunk * per_task <= measure.CHUNK_BUDGET_BYTES < (chunk + 1) * per_task


def test_a_chunked_run_records_its_chunk_and_trains_like_an_unchunked_one(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml", "reptile"]'))
    spec.params["reduce_groups"] = 1  # chunks of task_chunk, not fixed groups
    whole = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    spec.params["task_chunk"] = 3
    parts = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    for one, two in zip(whole["results"], parts["results"], strict=True):
        assert one["task_chunk"] == 4 and two["task_chunk"] == 3
        for key in ("pre_adaptation_loss", "post_adaptation_loss", "meta_train_loss"):
            assert two[key] == pytest.approx(one[key], rel=1e-5), key


def test_the_meta_optimizer_step_equals_plain_adam_on_every_parameter():
    """torch's fused CPU Adam ignores a non-contiguous gradient's strides; the trainer's step
    (MetaTrainer.apply) must give plain Adam's update to every element anyway."""
    from notebase.experiments.training import MetaTrainer

    point = dict(DEFAULTS["sinusoid"], hidden=6, meta_batch=3, inner_steps=1)
    trainer = MetaTrainer("sinusoid", "maml", point, torch.device("cpu"))
    plain = {n: p.detach().clone().requires_grad_() for n, p in trainer.named_parameters}
    adam = torch.optim.Adam(plain.values(), lr=point["meta_lr"])
    for t in range(3):
        grads, _ = trainer.algorithm.meta_gradients(trainer.params, trainer.batch(t))
        assert not all(g.is_contiguous() for g in grads.values())  # the case that matters
        for name, value in plain.items():
            value.grad = grads[name].clone()
        adam.step()
        trainer.apply(grads)
    for name, value in plain.items():
        assert torch.allclose(trainer.params[name], value.detach(), atol=1e-7), name
