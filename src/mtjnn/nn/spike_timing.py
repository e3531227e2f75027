"""Few-neuron spike-timing networks of SV/MTJ-nMOS neurons and their spike-timing gradient rule (seed S000).

Network (SEEDS_SPEC 2.5): I data inputs plus one always-early bias input -> H hidden neurons -> one
output neuron; the output also receives the bias. Every input is a single spike (time coding: early =
logical 1, late = logical 0); every neuron is the SV/MTJ-nMOS circuit of ``circuits.neuron_circuit``
(compact pendulum + level-1 nMOS), and each neuron forwards its *first* spike only (a one-shot pulse
generator per pattern window: absolute refraction at the network level).

Synapse = voltage-controlled amplifier: a spike at t_f of a presynaptic neuron is shaped into the
alpha pulse k(t - t_f) = (u/tau) exp(1 - u/tau), u = t - t_f > 0 (peak 1 V at u = tau), and the gate of
neuron j receives V_j(t) = sum_i w_ji k(t - t_i), so a weight is a voltage gain (negative =
inhibitory). No bias current: a neuron draws current only while its gate is above V_T.

Learning rule (our choice, documented): exact gradients of the output's first-spike time with respect to
every weight, computed from the neuron's own dynamics (SpikeProp's quantity dt_out/dw, here without
its linearization): the spike time is the linearly interpolated saddle crossing of the simulated
angle, which is a differentiable function of the weights. Two equal implementations:
``backend="torch"`` (the reference: autograd through the RK4 simulation) and ``backend="fused"``
(``nn.spike_timing_fused``: the same simulation in numba with forward-mode sensitivities; tested
equal to autograd). Silent neurons have no spike time; their maximum phase advance max(-phi) (which
reaches pi/2 at a spike) gives them a gradient toward firing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from ..circuits.neuron_circuit import CircuitState, NeuronCircuitParams, circuit_step
from ..validation import check_choice, check_finite, check_positive, check_range

BACKENDS = ("auto", "torch", "fused")


@dataclass(frozen=True)
class SpikeTimingConfig:
    """Network and simulation settings (SI units).

    Attributes:
        n_inputs: data inputs I (a bias input is added), 1..16.
        n_hidden: hidden neurons H, 1..64.
        kernel_tau: alpha-kernel time constant of the synaptic pulse, s, in (0, 10 ns].
        window: simulated time per pattern, s, in (0, 1 us].
        dt: RK4 step, s, in (0, 100 ps]; ``window`` must be a multiple.
        circuit: the neuron circuit (shared by all neurons).
    """

    n_inputs: int = 2
    n_hidden: int = 2
    kernel_tau: float = 0.25e-9
    window: float = 5e-9
    dt: float = 25e-12
    circuit: NeuronCircuitParams = field(default_factory=NeuronCircuitParams)

    def __post_init__(self) -> None:
        check_range("n_inputs", self.n_inputs, 1, 16)
        check_range("n_hidden", self.n_hidden, 1, 64)
        check_range("kernel_tau", self.kernel_tau, 0.0, 10e-9, low_inclusive=False, unit="s")
        check_range("window", self.window, 0.0, 1e-6, low_inclusive=False, unit="s")
        check_range("dt", self.dt, 0.0, 100e-12, low_inclusive=False, unit="s")
        if abs(self.steps * self.dt - self.window) > 1e-6 * self.window:
            raise ValueError(f"window = {self.window!r} s is not a multiple of dt = {self.dt!r} s; allowed: integer multiples")
        if not isinstance(self.circuit, NeuronCircuitParams):
            raise ValueError(f"circuit = {self.circuit!r}; allowed: a NeuronCircuitParams")

    @property
    def steps(self) -> int:
        return int(round(self.window / self.dt))

    @property
    def n_weights(self) -> int:
        """Number of weights D = H (I + 1) + H + 1."""
        return self.n_hidden * (self.n_inputs + 1) + self.n_hidden + 1


class NetworkOutput(NamedTuple):
    """Per (network N, pattern P, neuron [hidden..., output]): first-spike ``time`` (s; the window end
    if none), ``spiked`` (bool), ``max_phase`` max(-phi) up to the first spike (rad; >= pi/2 if it
    spiked) and ``max_gate``, the largest gate voltage (V, sampled at the steps) up to the first spike.
    ``time``, ``max_phase`` and ``max_gate`` are differentiable in the weights."""

    time: torch.Tensor
    spiked: torch.Tensor
    max_phase: torch.Tensor
    max_gate: torch.Tensor


def alpha_kernel(u: torch.Tensor, tau: float) -> torch.Tensor:
    """Synaptic pulse shape k(u) = (u/tau) exp(1 - u/tau) for u > 0, else 0 (peak 1 at u = tau)."""
    x = (u / tau).clamp_min(0.0)
    return x * torch.exp(1.0 - x)


def _check_inputs(wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig) -> None:
    h, i = config.n_hidden, config.n_inputs + 1
    if wh.ndim != 3 or tuple(wh.shape[1:]) != (h, i):
        raise ValueError(f"wh has shape {tuple(wh.shape)}; allowed: (N, {h}, {i}) (hidden x [inputs..., bias])")
    if wo.ndim != 2 or tuple(wo.shape) != (wh.shape[0], h + 1):
        raise ValueError(f"wo has shape {tuple(wo.shape)}; allowed: ({wh.shape[0]}, {h + 1}) ([hidden..., bias])")
    if input_times.ndim != 2 or input_times.shape[1] != i:
        raise ValueError(f"input_times has shape {tuple(input_times.shape)}; allowed: (P, {i}) (last column: bias)")
    check_finite("wh", wh)
    check_finite("wo", wo)
    check_range("input_times", input_times, 0.0, config.window, unit="s")


def forward(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, *, backend: str = "auto"
) -> NetworkOutput:
    """First-spike times of a batch of N networks on P input patterns.

    Args:
        wh: (N, H, I + 1) hidden weights (gains; last column: bias input).
        wo: (N, H + 1) output weights ([hidden..., bias]).
        input_times: (P, I + 1) input spike times, s (last column: the bias spike).
        config: network settings.
        backend: "torch" (autograd reference), "fused" (numba + forward sensitivities) or "auto" (fused).
    """
    check_choice("backend", backend, BACKENDS)
    _check_inputs(wh, wo, input_times, config)
    if backend == "torch":
        return _forward_torch(wh, wo, input_times, config)[0]
    from . import spike_timing_fused

    if not spike_timing_fused.AVAILABLE:  # pragma: no cover
        if backend == "fused":
            raise ImportError("numba is not installed; use backend='torch'")
        return _forward_torch(wh, wo, input_times, config)[0]
    time, max_phase, max_gate, spiked = _FusedNetwork.apply(wh, wo, input_times, config)
    return NetworkOutput(time, spiked, max_phase, max_gate)


class _FusedNetwork(torch.autograd.Function):
    """Autograd wrapper of the fused kernel: the backward pass contracts the forward sensitivities."""

    @staticmethod
    def forward(ctx, wh, wo, input_times, config):  # type: ignore[override]
        from ..circuits.neuron_circuit_fused import fused_constants
        from .spike_timing_fused import run_network

        out = run_network(
            wh.detach().cpu().double().numpy(), wo.detach().cpu().double().numpy(), input_times.detach().cpu().double().numpy(),
            fused_constants(config.circuit), config.kernel_tau, config.steps, config.dt,
        )
        ctx.shapes = (wh.shape, wo.shape)
        ctx.save_for_backward(torch.from_numpy(out["dt"]), torch.from_numpy(out["dmp"]), torch.from_numpy(out["dmg"]))
        spiked = torch.from_numpy(out["spiked"]).to(wh.device)
        ctx.mark_non_differentiable(spiked)
        cast = dict(dtype=wh.dtype, device=wh.device)
        return (torch.from_numpy(out["t"]).to(**cast), torch.from_numpy(out["mp"]).to(**cast),
                torch.from_numpy(out["mg"]).to(**cast), spiked)

    @staticmethod
    def backward(ctx, grad_t, grad_mp, grad_mg, _grad_spiked):  # type: ignore[override]
        d_t, d_mp, d_mg = ctx.saved_tensors
        g = sum((gr.double().cpu()[..., None] * jac).sum((1, 2)) for gr, jac in ((grad_t, d_t), (grad_mp, d_mp), (grad_mg, d_mg)))
        (shape_h, shape_o) = ctx.shapes
        n_h = shape_h[1] * shape_h[2]
        g_h = g[:, :n_h].reshape(shape_h).to(grad_t.dtype)
        g_o = g[:, n_h:].reshape(shape_o).to(grad_t.dtype)
        return g_h.to(grad_t.device), g_o.to(grad_t.device), None, None


class NetworkTrace(NamedTuple):
    """Recorded run of ``simulate_network`` (torch reference): ``times`` (S,) s; ``v_gate``, ``current``
    (A), ``phi`` (rad), ``mz`` as (S, N, P, H + 1); ``energy`` (N, P) supply energy of all neurons per
    pattern (J)."""

    times: torch.Tensor
    v_gate: torch.Tensor
    current: torch.Tensor
    phi: torch.Tensor
    mz: torch.Tensor
    energy: torch.Tensor


def simulate_network(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig
) -> tuple[NetworkOutput, NetworkTrace]:
    """Reference simulation with recorded traces (for figures and the energy per inference)."""
    _check_inputs(wh, wo, input_times, config)
    with torch.no_grad():
        return _forward_torch(wh, wo, input_times, config, record=True)


def _forward_torch(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, record: bool = False
) -> tuple[NetworkOutput, NetworkTrace | None]:
    circuit, dt, tau = config.circuit, config.dt, config.kernel_tau
    n_net, n_hid = wh.shape[0], config.n_hidden
    n_pat = input_times.shape[0]
    dtype = wh.dtype
    tin = input_times.to(dtype)
    zero = torch.zeros(n_net, n_pat, n_hid + 1, dtype=dtype)
    state = CircuitState(zero, zero.clone(), zero.clone(), zero.clone())
    t_first = torch.full((n_net, n_pat, n_hid + 1), config.window, dtype=dtype)
    has = torch.zeros(n_net, n_pat, n_hid + 1, dtype=torch.bool)
    max_phase = zero.clone()
    max_gate = torch.full_like(zero, -1e300)
    rec: dict[str, list[torch.Tensor]] = {"v": [], "i": [], "phi": [state.phi], "mz": [state.mz]}
    energy = torch.zeros(n_net, n_pat, dtype=dtype)
    for k in range(config.steps):
        t = k * dt
        volts = []
        for frac in (0.0, 0.5, 1.0):
            tt = t + frac * dt
            k_in = alpha_kernel(tt - tin, tau)  # (P, I + 1)
            v_hid = torch.einsum("nhi,pi->nph", wh, k_in)
            k_hid = torch.where(has[..., :n_hid], alpha_kernel(tt - t_first[..., :n_hid], tau), torch.zeros_like(t_first[..., :n_hid]))
            v_out = (wo[:, None, :n_hid] * k_hid).sum(-1) + wo[:, None, n_hid] * k_in[None, :, -1]
            volts.append(torch.cat([v_hid, v_out[..., None]], -1))
        max_gate = torch.where(has, max_gate, torch.maximum(max_gate, volts[0]))
        state, out = circuit_step(state, (volts[0], volts[1], volts[2]), circuit, t, dt)
        new = (out.polarity != 0) & ~has
        t_first = torch.where(new, out.time, t_first)
        max_phase = torch.where(has, max_phase, torch.maximum(max_phase, -state.phi))
        has = has | new
        if record:
            rec["v"].append(volts[0])
            rec["i"].append(out.current)
            rec["phi"].append(state.phi)
            rec["mz"].append(state.mz)
            energy = energy + circuit.v_dd * out.charge.sum(-1)
    output = NetworkOutput(t_first, has, max_phase, max_gate)
    if not record:
        return output, None
    rec["v"].append(volts[2])
    rec["i"].append(out.current)
    times = dt * torch.arange(config.steps + 1, dtype=dtype)
    trace = NetworkTrace(times, torch.stack(rec["v"]), torch.stack(rec["i"]), torch.stack(rec["phi"]), torch.stack(rec["mz"]), energy)
    return output, trace


# --- the XOR task, the loss and the training loop ---------------------------------------------------


@dataclass(frozen=True)
class XorTask:
    """Time coding of XOR (SEEDS_SPEC 2.5 with our times). Inputs: logical 1 = spike at ``t0``, 0 = spike at
    ``t0 + delay``; the bias spikes at ``t0``. Output: two target times, ``t_early`` and ``t_late``; with
    ``xor_one = "late"`` (default) XOR = 1 is the late target and XOR = 0 the early one, with "early" the
    reverse (the SEEDS_SPEC suggestion). A pattern is correct when the output spikes and its time lies on
    the target's side of the boundary (t_early + t_late)/2. All times in s.

    Why "late" by default: the neurons are coincidence detectors, so equal inputs (00, 11: coincident
    spikes) naturally give the early output and mixed inputs the late one; with that code gradient
    training converges from random weights, with the other it mostly does not (see docs/spiking_neuron.md).
    """

    t0: float = 0.5e-9
    delay: float = 1.0e-9
    t_early: float = 1.2e-9
    t_late: float = 2.8e-9
    xor_one: str = "late"

    def __post_init__(self) -> None:
        check_range("t0", self.t0, 0.0, 1e-6, unit="s")
        check_positive("delay", self.delay, unit="s")
        check_positive("t_early", self.t_early, unit="s")
        check_choice("xor_one", self.xor_one, ("late", "early"))
        if not self.t_late > self.t_early:
            raise ValueError(f"t_late = {self.t_late!r} s must exceed t_early = {self.t_early!r} s; allowed: t_late > t_early")

    def patterns(self, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(input_times (4, 3) s, labels (4,) in {0, 1}, target times (4,) s) for (x1, x2) = 00, 01, 10, 11."""
        bits = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        times = torch.cat([self.t0 + (1 - bits).to(dtype) * self.delay, torch.full((4, 1), self.t0, dtype=dtype)], 1)
        labels = bits[:, 0] ^ bits[:, 1]
        one, zero = (self.t_late, self.t_early) if self.xor_one == "late" else (self.t_early, self.t_late)
        targets = torch.where(labels > 0, one, zero).to(dtype)
        return times, labels, targets

    @property
    def boundary(self) -> float:
        return 0.5 * (self.t_early + self.t_late)

    def predict(self, out: NetworkOutput) -> torch.Tensor:
        """(N, P) predicted XOR bit from the output spike time (-1 where the output is silent)."""
        late = out.time[..., -1] > self.boundary
        bit = late if self.xor_one == "late" else ~late
        return torch.where(out.spiked[..., -1], bit.to(torch.int64), torch.full_like(bit, -1, dtype=torch.int64))

    def correct(self, out: NetworkOutput, labels: torch.Tensor) -> torch.Tensor:
        """(N, P) bool: the output spiked and its time is on the label's side of the boundary."""
        return self.predict(out) == labels[None, :]


def spike_time_loss(
    out: NetworkOutput, targets: torch.Tensor, config: SpikeTimingConfig, *, dead_weight: float = 1.0, gate_slope: float = 5.0
) -> torch.Tensor:
    """Per-network loss (N,): sum over patterns of ((t_out - t_target) / 1 ns)^2.

    A silent output uses the pseudo time window + (pi/2 - max_phase)/(pi/2) ns + gate_slope ns/V *
    max(0, V_T + 50 mV - max_gate): its gradient pushes the output to fire, through the phase it reached
    or, when its gate never opened the transistor, through the gate voltage. A hidden neuron silent for
    every pattern adds dead_weight * [(pi/2 - max_phase) + max(0, V_T + 50 mV - max_gate)/V] (revives it).
    """
    half = 0.5 * math.pi
    v_open = config.circuit.nmos.vt + 0.05
    closed = (v_open - out.max_gate).clamp_min(0.0)
    t_out = out.time[..., -1]
    pseudo = config.window + ((half - out.max_phase[..., -1]) / half + gate_slope * closed[..., -1]) * 1e-9
    t_eff = torch.where(out.spiked[..., -1], t_out, pseudo)
    loss = (((t_eff - targets[None, :]) / 1e-9) ** 2).sum(-1)
    dead = ~out.spiked[..., :-1].any(1)  # (N, H)
    revive = ((half - out.max_phase[..., :-1]).clamp_min(0.0) + closed[..., :-1]).sum(1)  # (N, H)
    return loss + dead_weight * (dead * revive).sum(-1)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings.

    Attributes:
        epochs: maximum epochs (one epoch = the 4 patterns once each).
        online: update after every pattern (4 updates per epoch, random order) rather than once per epoch.
        learning_rate: Adam step size (weight units = V/V per update), > 0.
        beta1: Adam first-moment decay, in [0, 1).
        weight_clip: |w| <= clip (the gain range of the VCA), > 0.
        hidden_init, hidden_bias_init, output_init, output_bias_init: (low, high) of the uniform initial
            weights from the inputs, the bias input, the hidden neurons and the bias to the output. The
            defaults centre the synaptic gains on the single-input threshold (a 0.25 ns alpha pulse
            fires a neuron from ~0.75 V): 97.8 % of 320 initialisations converge within 30 epochs
            (14.7 % are correct at initialisation); a broader [0.2, 1.2] / [0, 1.2] gives 82-87 %.
        stop_when_converged: freeze a network once all four patterns are correct.
    """

    epochs: int = 30
    online: bool = True
    learning_rate: float = 0.08
    beta1: float = 0.5
    weight_clip: float = 2.0
    hidden_init: tuple[float, float] = (0.5, 1.1)
    hidden_bias_init: tuple[float, float] = (-0.5, 0.1)
    output_init: tuple[float, float] = (0.5, 1.1)
    output_bias_init: tuple[float, float] = (0.0, 0.0)
    stop_when_converged: bool = True

    def __post_init__(self) -> None:
        check_range("epochs", self.epochs, 1, 100_000)
        check_positive("learning_rate", self.learning_rate)
        check_range("beta1", self.beta1, 0.0, 1.0, high_inclusive=False)
        check_positive("weight_clip", self.weight_clip)
        for name in ("hidden_init", "hidden_bias_init", "output_init", "output_bias_init"):
            lo, hi = getattr(self, name)
            check_range(f"{name}[0]", lo, -self.weight_clip, self.weight_clip)
            check_range(f"{name}[1]", hi, lo, self.weight_clip)


class TrainResult(NamedTuple):
    """Result of ``train_xor``: ``history_time`` (E + 1, N, 4) output spike times at the start of each epoch
    (s; NaN if silent), ``history_correct`` (E + 1, N) all four correct, ``history_loss`` (E + 1, N),
    ``epochs_to_converge`` (N,) number of training epochs before all four patterns were first correct
    (-1 if never), final weights ``wh`` (N, H, I + 1) and ``wo`` (N, H + 1) (the converged ones where
    converged), and the initial weights ``wh0``, ``wo0``."""

    history_time: torch.Tensor
    history_correct: torch.Tensor
    history_loss: torch.Tensor
    epochs_to_converge: torch.Tensor
    wh: torch.Tensor
    wo: torch.Tensor
    wh0: torch.Tensor
    wo0: torch.Tensor


def init_weights(n: int, config: SpikeTimingConfig, train: TrainConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """N random initialisations (float64), uniform in the ``TrainConfig`` ranges."""

    def uniform(shape: tuple[int, ...], bounds: tuple[float, float]) -> torch.Tensor:
        lo, hi = bounds
        return lo + (hi - lo) * torch.rand(shape, generator=generator, dtype=torch.float64)

    h, i = config.n_hidden, config.n_inputs
    wh = torch.cat([uniform((n, h, i), train.hidden_init), uniform((n, h, 1), train.hidden_bias_init)], -1)
    wo = torch.cat([uniform((n, h), train.output_init), uniform((n, 1), train.output_bias_init)], -1)
    return wh, wo


class _Adam:
    """Adam (Kingma & Ba 2015) on a list of (N, ...) weight tensors, updating only the networks in ``active``
    (each network keeps its own moments and step count)."""

    def __init__(self, params: tuple[torch.Tensor, ...], lr: float, beta1: float, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta1, beta2, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = torch.zeros(params[0].shape[0], dtype=params[0].dtype)

    def step(self, grads: tuple[torch.Tensor, ...], active: torch.Tensor) -> None:
        self.t = self.t + active.to(self.t.dtype)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            mask = active.reshape(-1, *([1] * (p.ndim - 1))).to(p.dtype)
            m.copy_(torch.where(mask > 0, self.b1 * m + (1 - self.b1) * g, m))
            v.copy_(torch.where(mask > 0, self.b2 * v + (1 - self.b2) * g * g, v))
            t = self.t.clamp_min(1).reshape(mask.shape)
            m_hat = m / (1 - self.b1**t)
            v_hat = v / (1 - self.b2**t)
            p.sub_(mask * self.lr * m_hat / (v_hat.sqrt() + self.eps))


def train_xor(
    n_init: int,
    config: SpikeTimingConfig | None = None,
    train: TrainConfig | None = None,
    task: XorTask | None = None,
    *,
    generator: torch.Generator | None = None,
    init: tuple[torch.Tensor, torch.Tensor] | None = None,
    backend: str = "auto",
    progress: bool = False,
) -> TrainResult:
    """Train ``n_init`` random initialisations of the XOR network at once (batched over networks and patterns).

    The generator first draws the seed of the pattern order, then the initial weights (unless ``init`` =
    (wh0, wo0) is given); the networks of a batch never interact, so training them one by one with the
    same seed and their own ``init`` gives the same result.

    Each epoch: evaluate the 4 patterns (recorded), then present them (in a random order when online)
    and take Adam steps on the spike-time loss of ``spike_time_loss``; weights are clipped to the VCA
    range. Converged networks are frozen when ``stop_when_converged``.
    """
    config = config or SpikeTimingConfig()
    train = train or TrainConfig()
    task = task or XorTask()
    check_range("n_init", n_init, 1, 1_000_000)
    if config.n_inputs != 2:
        raise ValueError(f"n_inputs = {config.n_inputs} for XOR; allowed: 2")
    generator = generator or torch.Generator().manual_seed(0)
    times, labels, targets = task.patterns()
    order_gen = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
    if init is None:
        wh0, wo0 = init_weights(n_init, config, train, generator)
    else:
        wh0, wo0 = (w.detach().to(torch.float64).clone() for w in init)
        _check_inputs(wh0, wo0, times, config)
        if wh0.shape[0] != n_init:
            raise ValueError(f"init holds {wh0.shape[0]} networks; allowed: n_init = {n_init}")
    wh, wo = wh0.clone(), wo0.clone()
    adam = _Adam((wh, wo), train.learning_rate, train.beta1)
    converged_at = torch.full((n_init,), -1, dtype=torch.int64)
    hist_t, hist_c, hist_l = [], [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.epochs + 1, desc="XOR epochs")
    last_t = torch.full((n_init, 4), torch.nan, dtype=torch.float64)
    last_l = torch.zeros(n_init, dtype=torch.float64)
    for epoch in range(train.epochs + 1):
        # evaluate the networks still training (frozen ones keep their last outputs)
        live = (converged_at < 0).nonzero().flatten() if train.stop_when_converged else torch.arange(n_init)
        with torch.no_grad():
            out = forward(wh[live], wo[live], times, config, backend=backend)
            last_l[live] = spike_time_loss(out, targets, config)
            last_t[live] = torch.where(out.spiked[..., -1], out.time[..., -1], torch.nan)
            correct_live = task.correct(out, labels).all(1)
        correct = converged_at >= 0
        correct[live] = correct_live
        converged_at[correct & (converged_at < 0)] = epoch
        hist_t.append(last_t.clone())
        hist_c.append(correct)
        hist_l.append(last_l.clone())
        if bar is not None:
            bar.update(1)
            bar.set_postfix(converged=f"{int((converged_at >= 0).sum())}/{n_init}")
        if epoch == train.epochs or (train.stop_when_converged and bool((converged_at >= 0).all())):
            break
        active = (converged_at < 0) if train.stop_when_converged else torch.ones(n_init, dtype=torch.bool)
        idx_active = active.nonzero().flatten()
        order = torch.randperm(4, generator=order_gen).tolist() if train.online else None
        batches = [[k] for k in order] if order is not None else [list(range(4))]
        for idx in batches:
            sel = torch.tensor(idx)
            a, b = wh[idx_active].clone().requires_grad_(True), wo[idx_active].clone().requires_grad_(True)
            out = forward(a, b, times[sel], config, backend=backend)
            spike_time_loss(out, targets[sel], config).sum().backward()
            g_h, g_o = torch.zeros_like(wh), torch.zeros_like(wo)
            g_h[idx_active], g_o[idx_active] = a.grad, b.grad
            adam.step((g_h, g_o), active)
            wh.clamp_(-train.weight_clip, train.weight_clip)
            wo.clamp_(-train.weight_clip, train.weight_clip)
    if bar is not None:
        bar.close()
    return TrainResult(
        torch.stack(hist_t), torch.stack(hist_c), torch.stack(hist_l), converged_at,
        wh.detach().clone(), wo.detach().clone(), wh0, wo0,
    )


class LayerwiseResult(NamedTuple):
    """Result of ``simulate_layerwise``: the network ``output`` and the circuit traces of the ``hidden`` neurons
    (batch ordered (N, P, H)) and of the ``out`` neuron (batch ordered (N, P))."""

    output: NetworkOutput
    hidden: object
    out: object


def simulate_layerwise(
    wh: torch.Tensor,
    wo: torch.Tensor,
    input_times: torch.Tensor,
    config: SpikeTimingConfig,
    *,
    fidelity: str = "compact",
    dt: float | None = None,
) -> LayerwiseResult:
    """Simulate trained networks layer by layer with ``circuits.neuron_circuit.simulate_circuit`` at any fidelity.

    A feedforward network needs no co-simulation: the hidden gates depend only on the inputs, the output
    gate only on the hidden first spikes. With ``fidelity="macrospin"`` every neuron is the full LLGS
    macrospin (the same circuit around it), so a network trained on the compact model is checked against
    the physics; with "compact" the fused circuit kernel gives traces and supply energies quickly.
    ``max_phase``/``max_gate`` are not computed (zeros). No autograd.
    """
    from ..circuits.neuron_circuit import simulate_circuit

    _check_inputs(wh, wo, input_times, config)
    dt = dt or config.dt
    n_net, n_hid = wh.shape[0], config.n_hidden
    n_pat = input_times.shape[0]
    tau, window = config.kernel_tau, config.window
    n_steps = int(round(window / dt))
    tin = input_times.to(torch.float64)
    whd, wod = wh.detach().double(), wo.detach().double()

    def hidden_gate(t: torch.Tensor) -> torch.Tensor:
        k = alpha_kernel(t.to(torch.float64)[:, None, None] - tin[None], tau)  # (T, P, I + 1)
        return torch.einsum("nhi,tpi->tnph", whd, k).reshape(t.shape[0], -1).to(t.dtype)

    hid = simulate_circuit(hidden_gate, config.circuit, duration=n_steps * dt, dt=dt, fidelity=fidelity, batch=n_net * n_pat * n_hid)
    t_h = hid.spikes.first.reshape(n_net, n_pat, n_hid)
    fired_h = ~torch.isnan(t_h)

    def output_gate(t: torch.Tensor) -> torch.Tensor:
        tt = t.to(torch.float64)[:, None, None, None]
        k_h = torch.where(fired_h[None], alpha_kernel(tt - t_h.nan_to_num(window)[None], tau), torch.zeros(()))
        v = (wod[None, :, None, :n_hid] * k_h).sum(-1)
        v = v + wod[None, :, None, n_hid] * alpha_kernel(tt[..., 0] - tin[None, None, :, -1], tau)
        return v.reshape(t.shape[0], -1).to(t.dtype)

    out = simulate_circuit(output_gate, config.circuit, duration=n_steps * dt, dt=dt, fidelity=fidelity, batch=n_net * n_pat)
    t_o = out.spikes.first.reshape(n_net, n_pat, 1)
    times = torch.cat([t_h, t_o], -1)
    spiked = ~torch.isnan(times)
    zeros = torch.zeros_like(times)
    output = NetworkOutput(torch.where(spiked, times, torch.full_like(times, window)), spiked, zeros, zeros)
    return LayerwiseResult(output, hid, out)


def evaluate_layerwise(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, *, fidelity: str = "macrospin",
    dt: float | None = None,
) -> NetworkOutput:
    """First-spike times of trained networks re-simulated layer by layer (see ``simulate_layerwise``)."""
    return simulate_layerwise(wh, wo, input_times, config, fidelity=fidelity, dt=dt).output
