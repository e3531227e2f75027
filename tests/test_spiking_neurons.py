"""Spiking neuron layers (mtjnn.nn.spiking_neurons, lif_recurrence, surrogate): hand-computed spikes, the fused
path against the torch path (values and gradients), the surrogate gradient against finite differences of the
smoothed model, device spread and read noise, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.devices.signed_lif import SignedLIFParams, simulate_signed_lif
from mtjnn.nn.lif_recurrence import LIFDynamics, lif_multistep
from mtjnn.nn.spiking_neurons import NEURONS, BinaryLIF, SignedLIF, make_neuron, neuron_factory
from mtjnn.nn.surrogate import smooth_step, surrogate_slope


def _column(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype).view(-1, 1, 1)  # (T, B = 1, neurons = 1)


# ------------------------------------------------------------------------------------- hand-computed
@pytest.mark.parametrize("backend", ["torch", "fused"])
def test_signed_spikes_and_resets_by_hand(backend: str) -> None:
    # beta 0.5, thresholds 1: u = 0.75, 1.125 (+1), -2 (-1), 0.5, 1.25 (+1), -0.25
    x = _column([0.75, 0.75, -2.0, 0.5, 1.0, -0.25])
    hard = SignedLIF(SignedLIFParams.ideal(), backend=backend)(x).flatten().tolist()
    assert hard == [0, 1, -1, 0, 1, 0]
    # reset to s * 0.25: u = 0.75, 1.125 -> +0.25, 0.125 - 2 -> -0.25, 0.375, 1.1875 -> +0.25, -0.125
    shifted = SignedLIF(SignedLIFParams(reset_value=0.25), backend=backend)(x).flatten().tolist()
    assert shifted == [0, 1, -1, 0, 1, 0]
    # beta = 1: subtract keeps the excess (2.5 -> 1.5 -> 0.5), value resets to 0
    x2 = _column([2.5, 0.0, 0.0])
    assert SignedLIF(SignedLIFParams(beta=1.0, reset="subtract"), backend=backend)(x2).flatten().tolist() == [1, 1, 0]
    assert SignedLIF(SignedLIFParams(beta=1.0), backend=backend)(x2).flatten().tolist() == [1, 0, 0]
    # asymmetric thresholds: -1.5 is below -theta_neg only when theta_neg < 1.5
    x3 = _column([-1.5, -1.0])
    assert SignedLIF(SignedLIFParams(beta=1.0, theta_neg=2.0), backend=backend)(x3).flatten().tolist() == [0, -1]
    assert SignedLIF(SignedLIFParams(beta=1.0), backend=backend)(x3).flatten().tolist() == [-1, -1]  # reset to 0, then -1 again
    # clip: |u| <= 1.5 before the threshold test, so a large input cannot bank charge for later steps
    x4 = _column([5.0, 0.0, 0.0])
    assert SignedLIF(SignedLIFParams(beta=1.0, reset="subtract", u_clip=1.5), backend=backend)(x4).flatten().tolist() == [1, 0, 0]
    assert SignedLIF(SignedLIFParams(beta=1.0, reset="subtract"), backend=backend)(x4).flatten().tolist() == [1, 1, 1]


@pytest.mark.parametrize("backend", ["torch", "fused"])
def test_binary_lif_by_hand(backend: str) -> None:
    # u = 0.75, 1.125 (spike, hard reset), -2 (no negative spike), -1 + 1 = 0, 0.5
    x = _column([0.75, 0.75, -2.0, 1.0, 0.5])
    assert BinaryLIF(0.5, backend=backend)(x).flatten().tolist() == [0, 1, 0, 0, 0]


@pytest.mark.parametrize("backend", ["torch", "fused"])
def test_layer_matches_the_device_model(backend: str) -> None:
    """The layer (normalized parameters) fires exactly as devices.signed_lif.simulate_signed_lif (device units)."""
    params = SignedLIFParams(beta=0.7, gain=0.8, theta_pos=0.9, theta_neg=1.3, reset="subtract", u_clip=2.0)
    x = 1.5 * torch.randn(40, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)  # (T, B)
    layer = SignedLIF(params, backend=backend)
    _, expected = simulate_signed_lif(x.T, params)
    assert torch.equal(layer(x.unsqueeze(-1)).squeeze(-1), expected.T)


# ------------------------------------------------------------------------------------ fused == torch
CASES = {
    "hard reset": LIFDynamics(),
    "value reset, full gradient": LIFDynamics(reset_value=-0.4, detach_reset=False),
    "subtract, detached": LIFDynamics(reset="subtract"),
    "subtract, full gradient": LIFDynamics(beta=0.9, reset="subtract", detach_reset=False, surrogate_width=0.5),
    "clip, asymmetric": LIFDynamics(beta=0.8, gain=1.3, theta_neg=1.6, clip=1.8, reset_value=0.3, detach_reset=False),
    "binary": LIFDynamics(signed=False),
    "binary, full gradient": LIFDynamics(beta=0.7, signed=False, detach_reset=False),
}


def _spread_case(dtype: torch.dtype) -> LIFDynamics:
    params = SignedLIFParams(beta=0.8, theta_neg=1.2, reset_value=-0.5, beta_spread=0.1, theta_spread=0.1)
    drawn = params.per_neuron(12, torch.Generator().manual_seed(0), dtype=dtype)
    return LIFDynamics(**{k: v.view(3, 4) for k, v in drawn.items()}, reset_value=-0.5, detach_reset=False)


def _values_and_grads(x: torch.Tensor, dyn: LIFDynamics, noise: torch.Tensor | None, backend: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_()
    s = lif_multistep(x, dyn, noise, backend=backend)
    weights = torch.randn(s.shape, generator=torch.Generator().manual_seed(7), dtype=s.dtype)
    (grad,) = torch.autograd.grad((s * weights).sum(), x)
    return s, grad


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", [*CASES, "spread and read noise"])
def test_fused_equals_torch(case: str, dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(1)
    x = 1.2 * torch.randn(9, 5, 3, 4, generator=gen, dtype=dtype)
    noise = None
    if case == "spread and read noise":
        dyn, noise = _spread_case(dtype), 0.1 * torch.randn(x.shape, generator=gen, dtype=dtype)
    else:
        dyn = CASES[case]
    s_ref, g_ref = _values_and_grads(x, dyn, noise, "torch")
    s_fused, g_fused = _values_and_grads(x, dyn, noise, "fused")
    assert torch.equal(s_fused, s_ref)
    assert 0.1 < (s_ref != 0).double().mean() < 0.9  # the case exercises both spiking and silent steps
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(g_fused, g_ref, rtol=tol, atol=tol)


def test_fused_follows_the_memory_layout() -> None:
    """channels_last activations (as the conv SNN has them) give the same spikes and gradients, without copies."""
    x = torch.randn(3 * 4, 6, 5, 5).contiguous(memory_format=torch.channels_last).view(3, 4, 6, 5, 5)
    dyn = LIFDynamics(beta=torch.rand(6, 5, 5, generator=torch.Generator().manual_seed(2)), detach_reset=False)
    s_ref, g_ref = _values_and_grads(x, dyn, None, "torch")
    s_fused, g_fused = _values_and_grads(x, dyn, None, "fused")
    assert torch.equal(s_fused, s_ref)
    assert lif_multistep(x, dyn, backend="fused").stride() == x.stride()
    torch.testing.assert_close(g_fused, g_ref, rtol=1e-5, atol=1e-6)


def test_fused_path_splits_over_threads_consistently() -> None:
    """A batch large enough to run on several threads gives the single-thread result."""
    x = torch.randn(6, 64, 2048, generator=torch.Generator().manual_seed(4))
    dyn = LIFDynamics(reset_value=0.2, detach_reset=False)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _values_and_grads(x, dyn, None, "fused")
        torch.set_num_threads(max(2, threads))
        many = _values_and_grads(x, dyn, None, "fused")
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one[0], many[0]) and torch.equal(one[1], many[1])


# ---------------------------------------------------------------------------------- surrogate vs FD
def test_surrogate_is_the_derivative_of_the_smooth_step() -> None:
    z = torch.linspace(-3, 3, 601, dtype=torch.float64, requires_grad=True)
    for width in (0.5, 1.0, 2.0):
        (dz,) = torch.autograd.grad(smooth_step(z, width).sum(), z)
        torch.testing.assert_close(dz, surrogate_slope(z.detach(), width))
        assert surrogate_slope(torch.zeros(()), width).item() == pytest.approx(1 / width)  # slope at threshold
    wide = torch.linspace(-2000, 2000, 400_001, dtype=torch.float64)
    assert torch.trapezoid(surrogate_slope(wide), wide).item() == pytest.approx(1.0, abs=1e-3)  # g integrates to 1
    assert surrogate_slope(torch.tensor(0.3)).item() == pytest.approx(1 / (1 + (math.pi * 0.3) ** 2))


@pytest.mark.parametrize("dyn", [
    LIFDynamics(beta=0.8, reset_value=-0.3, theta_neg=1.2, detach_reset=False, surrogate_width=0.7),
    LIFDynamics(beta=0.6, reset="subtract", detach_reset=False),
    LIFDynamics(beta=0.7, signed=False, detach_reset=False),
], ids=["value", "subtract", "binary"])
def test_surrogate_gradient_matches_finite_differences_of_the_smoothed_model(dyn: LIFDynamics) -> None:
    """With the Heaviside replaced by S(z) = 1/2 + arctan(pi z / w) / pi (slope g(z), the surrogate) the network is
    smooth: the gradient the surrogate machinery computes (custom backward of the spike, reset terms, BPTT) must
    equal central differences of that model. At T = 1 the hard model's surrogate gradient equals it too."""
    gen = torch.Generator().manual_seed(5)
    x = 0.8 * torch.randn(6, 2, 3, generator=gen, dtype=torch.float64)
    weights = torch.randn(x.shape, generator=gen, dtype=torch.float64)

    def loss(inp: torch.Tensor, smooth: bool = True) -> torch.Tensor:
        return (lif_multistep(inp, dyn, backend="torch", smooth=smooth) * weights[: inp.shape[0]]).sum()

    xg = x.clone().requires_grad_()
    (grad,) = torch.autograd.grad(loss(xg), xg)
    eps, fd = 1e-6, torch.empty_like(x)
    for i in range(x.numel()):
        d = torch.zeros(x.numel(), dtype=x.dtype)
        d[i] = eps
        d = d.view(x.shape)
        fd.view(-1)[i] = (loss(x + d) - loss(x - d)) / (2 * eps)
    torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-8)

    x1 = x[:1].clone().requires_grad_()
    (g_hard,) = torch.autograd.grad(loss(x1, smooth=False), x1)
    (g_smooth,) = torch.autograd.grad(loss(x1), x1)
    torch.testing.assert_close(g_hard, g_smooth, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ spread, read noise
def test_device_spread_is_drawn_once_per_layer_and_seeded() -> None:
    params = SignedLIFParams(beta=0.8, beta_spread=0.1, theta_spread=0.1)
    layer = SignedLIF(params, seed=3)
    x = torch.randn(4, 2, 5, 6)
    first = layer(x)
    beta = layer.spread_beta.clone()
    assert beta.shape == (5, 6) and beta.std() > 0
    assert torch.equal(layer(x), first) and torch.equal(layer.spread_beta, beta)  # same chip on every call
    assert torch.equal(SignedLIF(params, seed=3, neuron_shape=(5, 6)).spread_beta, beta)  # construction-time draw
    assert not torch.equal(SignedLIF(params, seed=4, neuron_shape=(5, 6)).spread_beta, beta)
    with pytest.raises(ValueError, match=r"neuron shape = \(6, 5\).*allowed: \(5, 6\)"):
        layer(torch.randn(4, 2, 6, 5))
    restored = SignedLIF(params, seed=99)
    restored.load_state_dict(layer.state_dict())
    assert torch.equal(restored(x), first)


def test_read_noise_is_fresh_every_step_and_deterministic_under_a_seed() -> None:
    params = SignedLIFParams(read_noise=0.3)
    x = torch.full((50, 4, 8), 0.45)  # beta 0.5: u settles at 0.9, below threshold without noise
    a, b = SignedLIF(params, seed=1), SignedLIF(params, seed=1)
    s1 = a(x)
    assert torch.equal(s1, b(x))
    assert not torch.equal(a(x), s1)  # fresh noise on the next call
    assert 0 < (s1 != 0).double().mean() < 0.5
    assert (SignedLIF(SignedLIFParams.ideal(), seed=1)(x) == 0).all()
    a.read_noise_enabled = False
    assert (a(x) == 0).all()


def test_single_step_mode_equals_multi_step() -> None:
    params = SignedLIFParams(beta=0.8, reset_value=-0.3)
    x = torch.randn(7, 3, 5, generator=torch.Generator().manual_seed(0))
    for multi, single in ((SignedLIF(params), SignedLIF(params, step_mode="s")), (BinaryLIF(0.7), BinaryLIF(0.7, step_mode="s"))):
        steps = [single(x[t]) for t in range(x.shape[0])]
        assert torch.equal(torch.stack(steps), multi(x))
        single.reset()
        assert torch.equal(single(x[0]), steps[0])


# ----------------------------------------------------------------------------------------- factory
def test_factory_selects_the_neuron_by_name() -> None:
    device = SignedLIFParams(beta=0.47, gain=0.44, theta_pos=0.9, theta_neg=0.91, reset_value=-0.58)
    assert NEURONS == ("device", "ideal", "binary")
    dev = make_neuron("device", device)
    assert isinstance(dev, SignedLIF) and dev.params == device.normalized()
    assert make_neuron("ideal").params == SignedLIFParams.ideal()
    assert isinstance(make_neuron("binary"), BinaryLIF) and make_neuron("binary").beta == 0.5
    build = neuron_factory("device", device.with_variability(0.05, 0.05), seed=10)
    first, second = build(), build()
    first(torch.zeros(1, 1, 8))
    second(torch.zeros(1, 1, 8))
    assert not torch.equal(first.spread_beta, second.spread_beta)  # each layer its own array of devices


# --------------------------------------------------------------------------------------- bad input
def test_bad_input_names_the_parameter_and_the_allowed_values() -> None:
    layer = SignedLIF()
    with pytest.raises(ValueError, match=r"T = 0.*allowed: T >= 1"):
        layer(torch.zeros(0, 2, 3))
    with pytest.raises(ValueError, match=r"x has shape \(5,\).*allowed: \(T, B, \.\.\.\)"):
        layer(torch.zeros(5))
    with pytest.raises(ValueError, match=r"neuron = 'lif'.*allowed: 'device', 'ideal', 'binary'"):
        make_neuron("lif")
    with pytest.raises(ValueError, match=r"neuron = 'lif'"):
        neuron_factory("lif")
    with pytest.raises(ValueError, match=r"params = None.*allowed: a SignedLIFParams"):
        make_neuron("device")
    with pytest.raises(ValueError, match=r"backend = 'gpu'.*allowed: 'auto', 'fused', 'torch'"):
        SignedLIF(backend="gpu")
    with pytest.raises(ValueError, match=r"step_mode = 'x'.*allowed: 'm', 's'"):
        BinaryLIF(step_mode="x")
    with pytest.raises(ValueError, match=r"surrogate_width = 0"):
        SignedLIF(surrogate_width=0.0)
    with pytest.raises(ValueError, match=r"beta = 1.5"):
        BinaryLIF(1.5)
    with pytest.raises(ValueError, match=r"backend = 'fused'.*torch.float16.*allowed"):
        lif_multistep(torch.zeros(2, 2, dtype=torch.float16), LIFDynamics(), backend="fused")
