"""The SNN training loop: DistributedDataParallel over 2 CPU processes equals one process, resume is exact, and a
short CIFAR-10 run of the signed-LIF network beats chance clearly."""

from __future__ import annotations

import os

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from mtjnn.experiments.snn_training import DistributedContext, Split, TrainSettings, epoch_batches, evaluate, train
from mtjnn.nn.snn_models import build_model
from mtjnn.nn.spiking_neurons import neuron_factory


def _tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 3))


def _tiny_data() -> tuple[Split, Split]:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64, 12, generator=gen)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return Split(x[:48], y[:48]), Split(x[48:], y[48:])


SETTINGS = TrainSettings(epochs=2, batch_size=8, lr=1e-2, seed=3)


def _ddp_worker(rank: int, world: int, init_file: str, out_file: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    model = _tiny_model()
    tr, va = _tiny_data()
    train(model, tr, va, SETTINGS, None, ctx=DistributedContext(rank, world), progress=False)
    if rank == 0:
        torch.save(model.state_dict(), out_file)
    dist.destroy_process_group()


def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path) -> None:
    out = tmp_path / "ddp.pt"
    mp.spawn(_ddp_worker, args=(2, str(tmp_path / "init"), str(out)), nprocs=2, join=True)
    single = _tiny_model()
    tr, va = _tiny_data()
    train(single, tr, va, SETTINGS, None, progress=False)
    ddp_state = torch.load(out)
    for name, value in single.state_dict().items():
        torch.testing.assert_close(ddp_state[name], value, rtol=1e-5, atol=1e-6)


def test_resume_after_an_interruption_is_exact(tmp_path) -> None:
    tr, va = _tiny_data()
    full = _tiny_model()
    train(full, tr, va, SETTINGS, None, progress=False)
    # interrupted run: a budget that stops it after epoch 1 (checkpoint written), then continued without the budget
    part = _tiny_model()
    history = train(part, tr, va, TrainSettings(**{**SETTINGS.__dict__, "time_budget_s": 1e-9}), tmp_path, progress=False)
    assert history["stopped"] and len(history["epochs"]) == 1
    resumed = _tiny_model()
    history = train(resumed, tr, va, SETTINGS, tmp_path, progress=False)
    assert len(history["epochs"]) == 2
    for name, value in full.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=0, atol=0)


def test_batches_split_across_ranks_cover_each_global_batch() -> None:
    a = epoch_batches(40, 8, 0, 0, DistributedContext(0, 2))
    b = epoch_batches(40, 8, 0, 0, DistributedContext(1, 2))
    one = epoch_batches(40, 8, 0, 0, DistributedContext())
    for x, y, z in zip(a, b, one):
        assert torch.equal(torch.cat([x, y]), z)
    with pytest.raises(ValueError, match="batch_size"):
        epoch_batches(40, 7, 0, 0, DistributedContext(0, 2))
    with pytest.raises(ValueError, match="epochs"):
        TrainSettings(epochs=0)


@pytest.mark.skipif(not os.environ.get("MTJNN_DATA"), reason="MTJNN_DATA not set (CI sets it to ../shared/data)")
def test_short_cifar10_training_beats_chance() -> None:
    from mtjnn.data.cifar10 import load_cifar10_splits
    from mtjnn.data.image_transforms import to_tensor

    splits = load_cifar10_splits(per_class=60, test_per_class=30, val_fraction=0.1, seed=0)
    def tensors(s):
        return Split(to_tensor(s.images, splits.mean, splits.std), torch.as_tensor(s.labels, dtype=torch.long))

    tr, va, te = tensors(splits.train), tensors(splits.val), tensors(splits.test)
    torch.manual_seed(0)
    model = build_model("convsnn", neuron_factory("ideal"), num_classes=10, steps=4)
    train(model, tr, va, TrainSettings(epochs=4, batch_size=30, lr=3e-3, seed=0), None, progress=False)
    assert evaluate(model, te) > 0.2  # chance: 0.1 (300 test images: 2.9 sigma above chance at 0.2)
