"""AnalogMLP: device-in-the-loop FD backprop equals autograd with the measured derivative; any depth; errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mtjnn.devices.activation import MTJActivation, SensorMTJ, Variability
from mtjnn.nn.analog_mlp import AnalogMLP, AnalogMLPConfig, device_in_the_loop


def _grads(config: AnalogMLPConfig, x: torch.Tensor, y: torch.Tensor, noise_seed: int = 5) -> torch.Tensor:
    model = AnalogMLP(config, torch.Generator().manual_seed(0)).double()
    loss = F.cross_entropy(model(x, torch.Generator().manual_seed(noise_seed)), y)
    loss.backward()
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


@pytest.mark.parametrize("hidden", [(6,), (6, 5), (4, 4, 4, 4)])
def test_fd_gradients_converge_to_exact_gradients(hidden: tuple[int, ...]) -> None:
    x = torch.randn(16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.arange(16) % 3
    var = Variability.uniform(0.05)  # varied devices, no read noise: FD -> exact as delta -> 0
    exact = _grads(AnalogMLPConfig(3, hidden, 3, gradient="exact", variability=var), x, y)
    fd = _grads(AnalogMLPConfig(3, hidden, 3, gradient="fd", delta=1e-4, variability=var), x, y)
    assert torch.allclose(fd, exact, rtol=1e-5, atol=1e-8)
    coarse = _grads(AnalogMLPConfig(3, hidden, 3, gradient="fd", delta=0.3, variability=var), x, y)
    assert not torch.allclose(coarse, exact, rtol=1e-5, atol=1e-8)
    assert F.cosine_similarity(coarse, exact, dim=0) > 0.99


def test_noisy_hardware_gradients_are_close_to_model_gradients() -> None:
    """SEEDS_SPEC 4.2 acceptance: cosine similarity of hardware and numerical gradients > 0.95."""
    x = torch.randn(64, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    y = torch.arange(64) % 4
    var = Variability.uniform(0.05, read_noise=0.005)
    exact = _grads(AnalogMLPConfig(8, (32,), 4, gradient="exact", variability=var), x, y)
    fd = _grads(AnalogMLPConfig(8, (32,), 4, gradient="fd", delta=0.1, variability=var), x, y)
    assert F.cosine_similarity(fd, exact, dim=0) > 0.95


def test_two_extra_device_reads_per_layer_per_batch(monkeypatch) -> None:
    calls: list[int] = []
    original = MTJActivation.transfer

    def counting(self, z):
        calls.append(z.shape[0])
        return original(self, z)

    monkeypatch.setattr(MTJActivation, "transfer", counting)
    model = AnalogMLP(AnalogMLPConfig(5, (7, 6), 2, variability=Variability(read_noise=0.01)), torch.Generator().manual_seed(0))
    x = torch.randn(10, 5)
    F.cross_entropy(model(x, torch.Generator().manual_seed(0)), torch.zeros(10, dtype=torch.int64)).backward()
    assert calls == [30, 30]  # one batched call per layer: z, z + delta, z - delta
    calls.clear()
    with torch.no_grad():
        model(x)
    assert calls == [10, 10]  # inference reads once


def test_custom_function_backward_uses_the_measured_derivative() -> None:
    from mtjnn.devices.activation import draw_devices

    act = MTJActivation(draw_devices(SensorMTJ(), Variability.uniform(0.05), 4, torch.Generator().manual_seed(3)), read_noise=0.01)
    z = torch.randn(6, 4, dtype=torch.float64).requires_grad_(True)
    out = device_in_the_loop(z, act, 0.2, torch.Generator().manual_seed(9))
    out.backward(torch.ones_like(out))
    _, g = act.read_with_derivative(z.detach(), 0.2, torch.Generator().manual_seed(9))
    assert torch.equal(z.grad, g)


def test_tanh_baseline_and_seeded_construction() -> None:
    cfg = AnalogMLPConfig(4, (8, 8), 3, activation="tanh")
    a, b = AnalogMLP(cfg, torch.Generator().manual_seed(4)), AnalogMLP(cfg, torch.Generator().manual_seed(4))
    x = torch.randn(5, 4)
    assert torch.equal(a(x), b(x)) and len(a.neurons) == 0
    mtj = AnalogMLP(AnalogMLPConfig(4, (8,), 3, variability=Variability.uniform(0.1)), torch.Generator().manual_seed(4))
    clone = AnalogMLP(AnalogMLPConfig(4, (8,), 3, variability=Variability.uniform(0.1)), torch.Generator().manual_seed(5))
    clone.load_state_dict(mtj.state_dict())  # devices travel with the state dict
    assert torch.equal(clone(x), mtj(x))


def test_bad_inputs_give_clear_errors() -> None:
    model = AnalogMLP(AnalogMLPConfig(4, (3,), 3))
    with pytest.raises(ValueError, match=r"expects 4 features"):
        model(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"delta = 0.0 is out of range"):
        AnalogMLPConfig(4, (3,), 3, delta=0.0)
    with pytest.raises(ValueError, match=r"delta = -0.5"):
        AnalogMLPConfig(4, (3,), 3, delta=-0.5)
    with pytest.raises(ValueError, match="hidden = \\(\\) is not allowed"):
        AnalogMLPConfig(4, (), 3)
    with pytest.raises(ValueError, match="gradient = 'spsa'"):
        AnalogMLPConfig(4, (3,), 3, gradient="spsa")
    with pytest.raises(ValueError, match=r"hidden\[1\] = 0"):
        AnalogMLPConfig(4, (3, 0), 3)


def test_macrospin_fidelity_is_one_argument_and_gives_the_same_gradients() -> None:
    x = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    y = torch.tensor([0, 1, 2, 1])
    var = Variability.uniform(0.05, read_noise=0.005)
    grads = {
        fidelity: _grads(AnalogMLPConfig(3, (3,), 3, variability=var, fidelity=fidelity), x, y)
        for fidelity in ("compact", "macrospin")
    }
    assert torch.allclose(grads["macrospin"], grads["compact"], atol=1e-7)


def test_in_place_device_changes_after_a_forward_pass_are_seen() -> None:
    """The layer's device model is cached; an in-place edit of its buffers (``load_state_dict`` into a model that
    already ran, ``mul_``) must rebuild it, else R_P/TMR-derived conductances would be stale."""
    cfg = AnalogMLPConfig(4, (8,), 3, variability=Variability.uniform(0.1))
    a, b = AnalogMLP(cfg, torch.Generator().manual_seed(4)), AnalogMLP(cfg, torch.Generator().manual_seed(5))
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(1))
    gen = lambda: torch.Generator().manual_seed(2)  # noqa: E731 - the same read noise for every pass
    before = b(x, gen())
    b.load_state_dict(a.state_dict())  # in place: the buffers keep their identity
    assert torch.equal(b(x, gen()), a(x, gen())) and not torch.equal(b(x, gen()), before)
    b.neurons[0].r_p.mul_(2.0)
    assert not torch.equal(b(x, gen()), a(x, gen()))
