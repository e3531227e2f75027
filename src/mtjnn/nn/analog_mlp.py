"""MLP whose hidden units are MTJ activation devices, trained with device-measured derivatives (seed 003).

Device-in-the-loop backpropagation (Jenkins et al., arXiv 2603.03947; SEEDS_SPEC 4.3):

1. forward: z = W x + b digitally; the devices of the layer are read, a_j = f_j(z_j) + noise, each
   device with its own (fabrication-varied) curve ``f_j``;
2. gradient probe: the same devices are read at z +- delta, g_j = [f_j(z + delta) - f_j(z - delta)] / (2 delta)
   (noisy reads too) - two extra device evaluations per layer per batch, all in one batched call;
3. backward: delta_j = g_j * sum_k w_kj delta_k, i.e. ordinary autograd in which the activation's local
   derivative is the measured g instead of f'. The output layer is linear + softmax cross-entropy.

``gradient="fd"`` does exactly that (a ``torch.autograd.Function`` whose backward uses g);
``gradient="exact"`` uses the true derivative of each device's noise-free curve (autograd through the
closed form, implicit-function backward) - a perfect device model, for comparison; ``activation="tanh"``
is the software baseline with the same architecture. Depth is free: ``hidden=(256,)``, ``(256, 128)``,
``(128, 128, 128, 128)``...
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from ..devices.activation import DeviceArray, MTJActivation, SensorMTJ, Variability, draw_devices
from ..validation import check_choice, check_positive, check_range

ACTIVATIONS = ("mtj", "tanh")
GRADIENTS = ("fd", "exact")
_DEVICE_FIELDS = ("hk", "bias_field", "offset_field", "r_p", "tmr")


@dataclass(frozen=True)
class AnalogMLPConfig:
    """Architecture and device settings of an ``AnalogMLP``.

    Attributes:
        in_features: number of input features (>= 1).
        hidden: widths of the hidden layers (at least one, each >= 1).
        out_features: number of outputs (>= 1): classes (>= 2) for a classifier, targets for a regressor.
        activation: "mtj" (device neurons) or "tanh" (software baseline).
        gradient: "fd" (finite difference measured on the devices) or "exact" (true derivative of each
            device's curve). Ignored for tanh (autograd).
        delta: finite-difference step in pre-activation units (> 0); the probe field is input_scale * delta.
        device: nominal junction; variability: fabrication spread and read noise.
        fidelity: "compact" (closed form) or "macrospin" (LLGS relaxation, slow).
    """

    in_features: int
    hidden: tuple[int, ...]
    out_features: int
    activation: str = "mtj"
    gradient: str = "fd"
    delta: float = 0.1
    device: SensorMTJ = field(default_factory=SensorMTJ)
    variability: Variability = field(default_factory=Variability)
    fidelity: str = "compact"

    def __post_init__(self) -> None:
        check_range("in_features", self.in_features, 1, 1e8)
        check_range("out_features", self.out_features, 1, 1e8)
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not self.hidden:
            raise ValueError("hidden = () is not allowed; allowed: at least one hidden layer, e.g. (256,)")
        for i, width in enumerate(self.hidden):
            check_range(f"hidden[{i}]", width, 1, 1e8)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("gradient", self.gradient, GRADIENTS)
        check_positive("delta", self.delta)
        check_choice("fidelity", self.fidelity, ("compact", "macrospin"))


class _DeviceInTheLoop(torch.autograd.Function):
    """y = noisy device read; backward multiplies by the measured derivative g (computed in forward)."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, act: MTJActivation, delta: float, generator: torch.Generator | None, exact: bool):  # type: ignore[override]
        if not ctx.needs_input_grad[0]:
            return act.response(z, generator)
        if exact:  # true derivative of the device curve (for the macrospin fidelity: its closed form)
            y, g = act.response(z, generator), act.derivative(z)
        else:
            y, g = act.read_with_derivative(z, delta, generator)
        ctx.save_for_backward(g)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (g,) = ctx.saved_tensors
        return grad * g, None, None, None, None


def device_in_the_loop(
    z: torch.Tensor, act: MTJActivation, delta: float, generator: torch.Generator | None = None, *, exact: bool = False
) -> torch.Tensor:
    """Read ``act`` at ``z`` (B, n); in backward use the central finite difference measured at z +- delta
    (or, with ``exact=True``, the analytic derivative of each device's curve)."""
    return _DeviceInTheLoop.apply(z, act, delta, generator, exact)


class MTJLayer(nn.Module):
    """``n`` MTJ neurons; the per-device parameters are buffers (saved in the state dict, default dtype)."""

    def __init__(self, n: int, config: AnalogMLPConfig, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        devices = draw_devices(config.device, config.variability, n, generator)
        for name in _DEVICE_FIELDS:
            self.register_buffer(name, getattr(devices, name).to(torch.get_default_dtype()))
        self._cached: tuple[tuple[int, ...], MTJActivation] | None = None

    def activation(self) -> MTJActivation:
        """The device model of this layer, built from the buffers: rebuilt when ``.to()`` replaces them or an
        in-place change (``load_state_dict``, ``mul_``) bumps a buffer's version counter, since the model
        derives conductances from R_P and TMR once."""
        key = tuple((id(buf), buf._version) for buf in (getattr(self, name) for name in _DEVICE_FIELDS))
        if self._cached is None or self._cached[0] != key:
            devices = DeviceArray(**{name: getattr(self, name) for name in _DEVICE_FIELDS}, nominal=self.config.device)
            self._cached = (key, MTJActivation(devices, self.config.variability.read_noise, self.config.fidelity))
        return self._cached[1]

    def forward(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        act = self.activation()
        cfg = self.config
        if cfg.gradient == "exact" and cfg.fidelity == "compact":
            return act.response(z, generator)  # autograd through the closed form: the exact derivative
        return device_in_the_loop(z, act, cfg.delta, generator, exact=cfg.gradient == "exact")


class AnalogMLP(nn.Module):
    """in -> [Linear -> MTJ neurons (or tanh)] x len(hidden) -> Linear -> logits.

    ``generator`` draws the initial weights (PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and
    then the devices of each layer, so a seed fixes both. ``forward(x, generator)`` draws the read noise
    from ``generator`` (the global RNG when None).
    """

    def __init__(self, config: AnalogMLPConfig, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        sizes = (config.in_features, *config.hidden, config.out_features)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        with torch.no_grad():
            for lin in self.linears:
                bound = 1.0 / math.sqrt(lin.in_features)
                nn.init.uniform_(lin.weight, -bound, bound, generator=generator)
                nn.init.uniform_(lin.bias, -bound, bound, generator=generator)
        self.neurons = nn.ModuleList(
            MTJLayer(width, config, generator) for width in config.hidden
        ) if config.activation == "mtj" else nn.ModuleList()

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Logits (B, out_features) for inputs (B, in_features)."""
        if x.ndim != 2 or x.shape[1] != self.config.in_features:
            raise ValueError(
                f"inputs have shape {tuple(x.shape)}; allowed: (batch, {self.config.in_features}) "
                f"- this network expects {self.config.in_features} features"
            )
        for i, lin in enumerate(self.linears[:-1]):
            z = lin(x)
            x = self.neurons[i](z, generator) if self.config.activation == "mtj" else torch.tanh(z)
        return self.linears[-1](x)
