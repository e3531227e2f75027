"""Spike-timing network of SV/MTJ-nMOS neurons: exact gradients (fused == autograd), XOR convergence, bad input, CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.nn.spike_timing import SpikeTimingConfig, evaluate_layerwise, forward, simulate_network
from mtjnn.nn.xor_training import TrainConfig, XorTask, init_weights, spike_time_loss, train_xor

CFG = SpikeTimingConfig()
TASK = XorTask()


def test_time_coding_of_xor():
    times, labels, targets = TASK.patterns()
    assert labels.tolist() == [0, 1, 1, 0]
    assert times[:, :2].reshape(-1).tolist() == pytest.approx([1.5e-9, 1.5e-9, 1.5e-9, 0.5e-9, 0.5e-9, 1.5e-9, 0.5e-9, 0.5e-9])
    assert torch.all(times[:, 2] == 0.5e-9)  # the bias is always early
    assert targets.tolist() == pytest.approx([1.2e-9, 2.8e-9, 2.8e-9, 1.2e-9])  # XOR = 1 -> late output
    early = XorTask(xor_one="early")
    assert early.patterns()[2].tolist() == pytest.approx([2.8e-9, 1.2e-9, 1.2e-9, 2.8e-9])


def test_fused_gradients_equal_autograd_through_the_simulation():
    cfg = SpikeTimingConfig(window=3e-9)  # a shorter window keeps the autograd reference quick
    times, _, targets = TASK.patterns()
    wh, wo = init_weights(3, cfg, TrainConfig(), torch.Generator().manual_seed(5))
    wo[2] = torch.tensor([0.1, 0.1, 0.0], dtype=torch.float64)  # a silent output: the pseudo-time path
    results = []
    for backend in ("fused", "torch"):
        a, b = wh.clone().requires_grad_(), wo.clone().requires_grad_()
        out = forward(a, b, times, cfg, backend=backend)
        loss = spike_time_loss(out, targets, cfg).sum() + out.max_gate.sum() + out.time.sum() * 1e9
        loss.backward()
        results.append((out, a.grad, b.grad))
    (fo, fgh, fgo), (to, tgh, tgo) = results
    assert torch.equal(fo.spiked, to.spiked)
    assert not bool(fo.spiked[2, :, -1].any())
    assert torch.allclose(fo.time, to.time, rtol=0, atol=1e-18)
    assert torch.allclose(fo.max_phase, to.max_phase, rtol=1e-10, atol=1e-12)
    assert torch.allclose(fo.max_gate, to.max_gate, rtol=1e-12)
    assert torch.allclose(fgh, tgh, rtol=1e-8, atol=1e-10)
    assert torch.allclose(fgo, tgo, rtol=1e-8, atol=1e-10)


def test_spike_time_gradient_matches_finite_differences():
    times, _, _ = TASK.patterns()
    wh = torch.tensor([[[0.9, 0.7, 0.2], [0.6, 0.8, -0.1]]], dtype=torch.float64)
    wo = torch.tensor([[0.8, 0.7, 0.1]], dtype=torch.float64)
    a = wh.clone().requires_grad_()
    out = forward(a, wo, times[3:4], CFG)
    assert bool(out.spiked[0, 0, -1])
    out.time[0, 0, -1].backward()
    h = 1e-5
    for idx in [(0, 0, 0), (0, 1, 1), (0, 0, 2)]:
        plus, minus = wh.clone(), wh.clone()
        plus[idx] += h
        minus[idx] -= h
        fd = (forward(plus, wo, times[3:4], CFG).time[0, 0, -1] - forward(minus, wo, times[3:4], CFG).time[0, 0, -1]) / (2 * h)
        assert a.grad[idx].item() == pytest.approx(fd.item(), rel=1e-3, abs=1e-15)


def test_xor_converges_within_30_epochs_on_fixed_seeds():
    res = train_xor(20, generator=torch.Generator().manual_seed(1))
    conv = res.epochs_to_converge
    ok = (conv >= 0) & (conv <= 30)
    assert float(ok.double().mean()) >= 0.9, conv.tolist()
    # the converged networks classify all four patterns by the output spike time, also re-simulated layer by layer
    times, labels, _ = TASK.patterns()
    sel = ok.nonzero().flatten()
    out = evaluate_layerwise(res.wh[sel], res.wo[sel], times, CFG, fidelity="compact")
    assert bool(TASK.correct(out, labels).all())
    # a full training cycle of 30 epochs is 30 x 4 windows of simulated time: < 2 us
    assert 30 * 4 * CFG.window < 2e-6
    # energy per inference from the simulated supply currents: fJ scale
    _, trace = simulate_network(res.wh[sel][:2], res.wo[sel][:2], times, CFG)
    assert 1e-15 < float(trace.energy.mean()) < 1e-12


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"wh": torch.zeros(2, 3, 3)}, "wh has shape"),
        ({"wo": torch.zeros(2, 2)}, "wo has shape"),
        ({"times": torch.zeros(4, 2)}, "input_times has shape"),
        ({"times": torch.full((4, 3), 9e-9)}, "input_times"),
        ({"wh": torch.full((2, 2, 3), math.nan)}, "wh.*not finite"),
    ],
)
def test_bad_network_input(kwargs, match):
    wh = kwargs.get("wh", torch.zeros(2, 2, 3, dtype=torch.float64))
    wo = kwargs.get("wo", torch.zeros(2, 3, dtype=torch.float64))
    times = kwargs.get("times", TASK.patterns()[0])
    with pytest.raises(ValueError, match=match):
        forward(wh.double(), wo.double(), times.double(), CFG)


def test_bad_configs():
    with pytest.raises(ValueError, match="kernel_tau"):
        SpikeTimingConfig(kernel_tau=0.0)
    with pytest.raises(ValueError, match="multiple"):
        SpikeTimingConfig(window=5e-9, dt=3e-12)
    with pytest.raises(ValueError, match="t_late"):
        XorTask(t_early=3e-9, t_late=2e-9)
    with pytest.raises(ValueError, match="delay"):
        XorTask(delay=-1e-9)
    with pytest.raises(ValueError, match="xor_one"):
        XorTask(xor_one="middle")
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=-0.1)
    with pytest.raises(ValueError, match="backend"):
        forward(torch.zeros(1, 2, 3), torch.zeros(1, 3), TASK.patterns()[0], CFG, backend="gpu")


def test_cli_run_xor_quick(tmp_path):
    res = CliRunner().invoke(app, ["run", "xor", "--quick", "--seed", "1", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "converged" in res.output and "simulated time per epoch" in res.output
    run_dir = next((tmp_path / "xor").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["simulated_time_30_epochs_s"] < 2e-6
    assert (run_dir / "spike_times.png").exists() and (run_dir / "traces.png").exists()
    bad = CliRunner().invoke(app, ["run", "xor", "--inits", "0", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "inits" in bad.output
