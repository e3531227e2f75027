"""Spiking neuron layers for deep SNNs: the signed LIF of the orthogonal-easy-axis MTJ, and the binary LIF.

Both are ``torch.nn.Module``s mapping input currents (T, B, ...) to spikes (T, B, ...) (multi-step mode, the
membrane starts at 0 at every call; BPTT over T with surrogate gradients), with the recurrence of
``lif_recurrence`` (torch path or the fused CPU path).

* ``SignedLIF(params)``: spikes in {-1, 0, +1}; the constants come from a ``SignedLIFParams`` (the device model),
  used in its normalized form (theta_pos = 1; the layer's weights absorb the input scale): beta, gain,
  theta_neg, reset rule and value, u_clip. Its device-to-device spread (``beta_spread``, ``theta_spread``) is
  drawn ONCE per layer from the layer's generator, one value per neuron of the neuron shape x.shape[2:] (at
  construction if ``neuron_shape`` is given, else at the first call; kept as buffers, so a checkpoint keeps the
  chip it was trained on). Its read noise (sigma ``read_noise`` theta_pos) is drawn fresh every step and
  call, in training and in evaluation alike (the device has it in both; ``read_noise_enabled = False`` turns
  it off), from the same generator, so a seeded layer is deterministic.
  ``SignedLIF(SignedLIFParams.ideal())`` is the ideal signed LIF; a device-fitted ``SignedLIFParams`` the device
  neuron.
* ``BinaryLIF(beta)``: the standard LIF, spikes in {0, 1}, threshold 1, hard reset to 0.

``make_neuron(name, ...)`` / ``neuron_factory(name, ...)`` select "device" | "ideal" | "binary" by name.

Surrogate gradient: g(z) = 1 / (w (1 + (pi z / w)^2)) at each threshold (``surrogate.py``), w =
``surrogate_width`` (default 1). Reset path: detached by default (``detach_reset=True``, SpikingJelly's
``detach_reset``). Measured on CIFAR-10 (the default conv SNN, ideal signed LIF, 4 minutes = 2.3 epochs of the
full training set on 2 cores): 44.2 % test accuracy detached, 43.8 % with the full surrogate gradient through the
reset, equal within run-to-run noise; the detached form is kept as the cheaper one (the torch path builds no
graph for the reset terms) and the one SpikingJelly recommends for deep networks. ``detach_reset=False`` gives
the full surrogate gradient (both paths implement both).

``step_mode="s"`` makes a layer single-step (input (B, ...), state kept between calls until ``reset()``), the
form snnTorch-style loops and SpikingJelly's single-step networks use; it runs the torch path.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..devices.signed_lif import SignedLIFParams
from ..validation import check_choice, check_range
from .lif_recurrence import BACKENDS, LIFDynamics, check_time_major, lif_multistep, lif_step

NEURONS = ("device", "ideal", "binary")
STEP_MODES = ("m", "s")


class _LIFLayer(nn.Module):
    """Shared machinery of the neuron layers: step modes, backend, the recurrence call."""

    signed: bool = True

    def __init__(self, *, surrogate_width: float, detach_reset: bool, backend: str, step_mode: str) -> None:
        super().__init__()
        check_choice("backend", backend, BACKENDS)
        check_choice("step_mode", step_mode, STEP_MODES)
        check_range("surrogate_width", surrogate_width, 0.0, float("inf"), low_inclusive=False)
        self.surrogate_width = float(surrogate_width)
        self.detach_reset = bool(detach_reset)
        self.backend = backend
        self.step_mode = step_mode
        self.v: torch.Tensor | None = None  # single-step membrane

    def reset(self) -> None:
        """Forget the single-step membrane state (SpikingJelly's ``reset_net`` calls this)."""
        self.v = None

    def dynamics(self, neuron_shape: torch.Size, dtype: torch.dtype, device: torch.device) -> LIFDynamics:
        """The recurrence constants for inputs of neuron shape ``neuron_shape`` (each neuron type defines them)."""
        raise NotImplementedError

    def read_noise(self, shape: torch.Size, dtype: torch.dtype, device: torch.device) -> torch.Tensor | None:
        """Read noise for an input of ``shape`` (None: the neuron has none)."""
        return None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Spikes for input currents x (T, B, ...) ("m") or x (B, ...) ("s"), in units of theta_pos per step."""
        if self.step_mode == "s":
            if x.ndim < 1 or x.shape[0] < 1:
                raise ValueError(f"x has shape {tuple(x.shape)}; allowed: (B, ...) with B >= 1 (single-step mode)")
            dyn = self.dynamics(x.shape[1:], x.dtype, x.device)
            noise = self.read_noise(x.shape, x.dtype, x.device)
            if self.v is not None and self.v.shape != x.shape:  # a batch of another shape starts from rest
                self.v = None
            s, self.v = lif_step(x, self.v, dyn, noise)
            return s
        check_time_major(x)
        dyn = self.dynamics(x.shape[2:], x.dtype, x.device)
        return lif_multistep(x, dyn, self.read_noise(x.shape, x.dtype, x.device), backend=self.backend)

    def extra_repr(self) -> str:
        return (f"surrogate_width={self.surrogate_width}, detach_reset={self.detach_reset}, backend={self.backend!r}, "
                f"step_mode={self.step_mode!r}")


class SignedLIF(_LIFLayer):
    """Signed LIF layer driven by a ``SignedLIFParams`` (module docstring). seed: the layer's generator seed
    (spread and read noise; None: torch's global generator). neuron_shape: draw the spread now for this
    shape (x.shape[2:]); otherwise at the first call."""

    signed = True

    def __init__(
        self,
        params: SignedLIFParams | None = None,
        *,
        surrogate_width: float = 1.0,
        detach_reset: bool = True,
        backend: str = "auto",
        step_mode: str = "m",
        seed: int | None = 0,
        neuron_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(surrogate_width=surrogate_width, detach_reset=detach_reset, backend=backend, step_mode=step_mode)
        self.params = (params if params is not None else SignedLIFParams.ideal()).normalized()
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)
        self.read_noise_enabled = True
        self.has_spread = self.params.beta_spread > 0 or self.params.theta_spread > 0
        for name in ("spread_beta", "spread_theta_pos", "spread_theta_neg"):
            self.register_buffer(name, None)
        if neuron_shape is not None and self.has_spread:
            self._draw_spread(torch.Size(neuron_shape))

    def _draw_spread(self, shape: torch.Size) -> None:
        n = max(1, shape.numel())
        drawn = self.params.per_neuron(n, self.generator, dtype=torch.float64)
        self.spread_beta = drawn["beta"].reshape(shape)
        self.spread_theta_pos = drawn["theta_pos"].reshape(shape)
        self.spread_theta_neg = drawn["theta_neg"].reshape(shape)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # noqa: ANN001
        for name in ("spread_beta", "spread_theta_pos", "spread_theta_neg"):  # buffers drawn lazily: adopt saved ones
            if prefix + name in state_dict and getattr(self, name) is None:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def dynamics(self, neuron_shape: torch.Size, dtype: torch.dtype, device: torch.device) -> LIFDynamics:
        """The recurrence constants for inputs of neuron shape ``neuron_shape`` (draws the spread on first use)."""
        p = self.params
        beta, theta_pos, theta_neg = p.beta, p.theta_pos, p.theta_neg
        if self.has_spread:
            if self.spread_beta is None:
                self._draw_spread(neuron_shape)
            if self.spread_beta.shape != neuron_shape:
                raise ValueError(
                    f"neuron shape = {tuple(neuron_shape)} (x.shape[2:]); allowed: {tuple(self.spread_beta.shape)}, the shape "
                    "this layer's device spread was drawn for (a layer is a fixed array of devices)"
                )
            beta, theta_pos, theta_neg = (b.to(dtype=dtype, device=device) for b in
                                          (self.spread_beta, self.spread_theta_pos, self.spread_theta_neg))
        return LIFDynamics(beta=beta, theta_pos=theta_pos, theta_neg=theta_neg, gain=p.gain, reset=p.reset,
                           reset_value=p.reset_value, clip=p.u_clip, signed=True, detach_reset=self.detach_reset,
                           surrogate_width=self.surrogate_width)

    def read_noise(self, shape: torch.Size, dtype: torch.dtype, device: torch.device) -> torch.Tensor | None:
        """Fresh Gaussian read noise of sigma read_noise * theta_pos (= read_noise after normalization)."""
        sigma = self.params.read_noise * self.params.theta_pos
        if sigma == 0 or not self.read_noise_enabled:
            return None
        return torch.randn(shape, generator=self.generator, dtype=dtype).mul_(sigma).to(device)


class BinaryLIF(_LIFLayer):
    """Standard LIF layer: spikes in {0, 1} at u >= 1, hard reset to 0, retention ``beta`` per step."""

    signed = False

    def __init__(
        self, beta: float = 0.5, *, surrogate_width: float = 1.0, detach_reset: bool = True, backend: str = "auto",
        step_mode: str = "m",
    ) -> None:
        super().__init__(surrogate_width=surrogate_width, detach_reset=detach_reset, backend=backend, step_mode=step_mode)
        check_range("beta", beta, 0.0, 1.0, low_inclusive=False)
        self.beta = float(beta)

    def dynamics(self, neuron_shape: torch.Size, dtype: torch.dtype, device: torch.device) -> LIFDynamics:
        """The recurrence constants (scalars; the binary LIF has no device spread)."""
        return LIFDynamics(beta=self.beta, signed=False, detach_reset=self.detach_reset, surrogate_width=self.surrogate_width)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, " + super().extra_repr()


def make_neuron(
    name: str, params: SignedLIFParams | None = None, *, beta: float | None = None, seed: int | None = 0, **layer_kwargs,
) -> nn.Module:
    """One neuron layer by name: "device" (``SignedLIF(params)``, params required: the fitted device),
    "ideal" (``SignedLIF(SignedLIFParams.ideal(beta))``) or "binary" (``BinaryLIF(beta)``); beta defaults to
    0.5, the ideal neuron's. layer_kwargs: surrogate_width, detach_reset, backend, step_mode."""
    check_choice("neuron", name, NEURONS)
    if name == "device":
        if params is None:
            raise ValueError("params = None with neuron = 'device'; allowed: a SignedLIFParams (the fitted device)")
        return SignedLIF(params, seed=seed, **layer_kwargs)
    b = 0.5 if beta is None else beta
    if name == "ideal":
        return SignedLIF(SignedLIFParams.ideal(b), seed=seed, **layer_kwargs)
    return BinaryLIF(b, **layer_kwargs)


def neuron_factory(
    name: str, params: SignedLIFParams | None = None, *, seed: int = 0, **kwargs,
) -> Callable[[], nn.Module]:
    """A callable returning a fresh neuron layer per call (as ``make_neuron``), the k-th with seed ``seed + k``,
    so every layer of a network is a different array of devices. Networks take this as their ``neuron``."""
    make_neuron(name, params, seed=seed, **kwargs)  # validate now, not at the first layer
    count = [0]

    def build() -> nn.Module:
        layer = make_neuron(name, params, seed=seed + count[0], **kwargs)
        count[0] += 1
        return layer

    return build


def reset_states(net: nn.Module) -> None:
    """Reset the single-step state of every neuron layer of ``net`` (ours; SpikingJelly's ``reset_net`` also does)."""
    for m in net.modules():
        if isinstance(m, _LIFLayer):
            m.reset()


def is_spiking_layer(module: nn.Module) -> bool:
    """Whether ``module`` is one of this package's neuron layers."""
    return isinstance(module, _LIFLayer)
