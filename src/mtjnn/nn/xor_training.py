"""The XOR task of seed S000 for spike-timing networks: time coding, the spike-time loss and the training loop.

A network of ``nn.spike_timing`` (2 data inputs + bias -> H hidden -> 1 output SV/MTJ-nMOS neurons) learns
XOR from the exact gradients of its output spike time; many networks (initialisations) train at once,
each with its own Adam moments, and a network stops updating once it classifies all four patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..validation import check_choice, check_non_negative, check_positive, check_range
from .spike_timing import NetworkOutput, SpikeTimingConfig, check_network_inputs, data_pulse_gates, forward

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


INITS = ("broad", "favourable")
"""Named initialisations of ``TrainConfig.init``."""

FAVOURABLE_RANGES: dict[str, tuple[float, float]] = {
    "hidden_init": (0.5, 1.1),
    "hidden_bias_init": (-0.5, 0.1),
    "output_init": (0.5, 1.1),
    "output_bias_init": (0.0, 0.0),
}
"""Ranges (V/V) of ``init="favourable"``: synaptic gains centred on the single-pulse threshold of a neuron."""

LOSSES = ("margin", "target")
REVIVES = ("data_peaks", "max_gate")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (weights are VCA voltage gains, V/V; times in s).

    Attributes:
        epochs: maximum epochs (one epoch = the 4 patterns once each), 1..100000.
        online: update after every pattern (4 updates per epoch, random order) rather than once per epoch.
        learning_rate: Adam step size (V/V per update), > 0.
        warmup_epochs: the step size ramps linearly from learning_rate/K to learning_rate over the first
            K = warmup_epochs x (updates per epoch) updates of each network, 0..10000 (0: none). Small
            first steps keep a network that starts near a solution there (the favourable init converges
            in a median 2 epochs with it, 3-4 without); the full step then crosses the broad range.
        beta1, beta2: Adam first- and second-moment decays, in [0, 1). The short second-moment memory
            (beta2 = 0.5) normalises each step by the *recent* gradient size: gradient magnitudes differ
            by orders of magnitude between a silent output (pseudo-time loss) and fine spike timing, and
            with beta2 = 0.999 the early large gradients shrink every later step.
        weight_clip: |w| <= clip (the gain range of the VCA, the physically allowed range), > 0.
        init: named initialisation, one of ``INITS``:
            "broad" (default, the headline): every weight uniform over the whole allowed range
            [-weight_clip, weight_clip] (= [-2, 2] V/V), biases and inhibitory signs included;
            "favourable": ``FAVOURABLE_RANGES`` (inputs -> hidden [0.5, 1.1], bias -> hidden
            [-0.5, 0.1], hidden -> output [0.5, 1.1], bias -> output 0), gains centred on the
            single-input threshold (a 0.25 ns alpha pulse fires a neuron from ~0.75 V).
        hidden_init, hidden_bias_init, output_init, output_bias_init: optional (low, high) overrides of
            the named ranges (V/V) for the weights from the inputs, the bias input, the hidden neurons and
            the bias to the output; None = from ``init``.
        loss: "margin" (default): each output spike time must lie ``margin`` past the class boundary on
            its class's side, squared hinge in ns, no pull toward an exact target; "target": squared
            distance to the target time t_early / t_late (the earlier rule; the (00) early target 1.2 ns
            precedes the late (00) inputs, so it can only be met by a bias-driven output).
        margin: hinge margin of ``loss="margin"``, s, in [0, 2 ns].
        silent_delay: a silent output counts as a spike at t_late + silent_delay + deficit, s, in
            (0, 1 us]; the deficit is (pi/2 - max phase)/(pi/2) ns + gate_slope * gate deficit.
            With ``loss="margin"`` a silent late-class output also costs ((t_pseudo - t_late)/1 ns)^2,
            so it is pushed to fire. The earlier rule used window - t_late (2.2 ns).
        revive: gate deficit of a silent neuron, one of ``REVIVES``: "data_peaks" (default): the mean of
            max(0, V_T + 50 mV - V_gate) at the peaks of its data-driven presynaptic pulses
            (``spike_timing.data_pulse_gates``; gives inhibitory and weak synapses a gradient);
            "max_gate": max(0, V_T + 50 mV - max_t V_gate) (the earlier rule; zero gradient when the
            maximum is the resting gate at t = 0).
        gate_slope: ns of pseudo time per V of gate deficit, >= 0.
        dead_weight: weight of the revival term of a hidden neuron silent for every pattern, >= 0.
        bias_weight: weight (per pattern, per V^2) of max(0, w_bias * 1 V - (V_T + 50 mV))^2 summed over
            the neurons, >= 0: the bias pulse alone (peak w_bias * 1 V) must not open a transistor, so no
            neuron fires, or draws current, without data. A bias-driven neuron fires at the same time
            for every pattern; from a broad init these are the commonest trap.
        stop_when_converged: freeze a network once all four patterns are correct.
    """

    epochs: int = 30
    online: bool = True
    learning_rate: float = 0.2
    warmup_epochs: int = 4
    beta1: float = 0.5
    beta2: float = 0.5
    weight_clip: float = 2.0
    init: str = "broad"
    hidden_init: tuple[float, float] | None = None
    hidden_bias_init: tuple[float, float] | None = None
    output_init: tuple[float, float] | None = None
    output_bias_init: tuple[float, float] | None = None
    loss: str = "margin"
    margin: float = 0.15e-9
    silent_delay: float = 0.5e-9
    revive: str = "data_peaks"
    gate_slope: float = 5.0
    dead_weight: float = 1.0
    bias_weight: float = 7.5
    stop_when_converged: bool = True

    def __post_init__(self) -> None:
        check_range("epochs", self.epochs, 1, 100_000)
        check_positive("learning_rate", self.learning_rate)
        check_range("warmup_epochs", self.warmup_epochs, 0, 10_000)
        check_range("beta1", self.beta1, 0.0, 1.0, high_inclusive=False)
        check_range("beta2", self.beta2, 0.0, 1.0, high_inclusive=False)
        check_positive("weight_clip", self.weight_clip)
        check_choice("init", self.init, INITS)
        check_choice("loss", self.loss, LOSSES)
        check_range("margin", self.margin, 0.0, 2e-9, unit="s")
        check_range("silent_delay", self.silent_delay, 0.0, 1e-6, low_inclusive=False, unit="s")
        check_choice("revive", self.revive, REVIVES)
        check_non_negative("gate_slope", self.gate_slope)
        check_non_negative("dead_weight", self.dead_weight)
        check_non_negative("bias_weight", self.bias_weight)
        for name in FAVOURABLE_RANGES:
            given = getattr(self, name)
            if given is not None and len(tuple(given)) != 2:
                raise ValueError(f"{name} = {given!r}; allowed: None or a (low, high) pair in V/V")
        for name, (lo, hi) in self.init_ranges().items():
            check_range(f"{name}[0]", lo, -self.weight_clip, self.weight_clip)
            check_range(f"{name}[1]", hi, lo, self.weight_clip)

    def init_ranges(self) -> dict[str, tuple[float, float]]:
        """(low, high) in V/V of the four weight groups: the named ``init`` with the explicit overrides."""
        named = FAVOURABLE_RANGES if self.init == "favourable" else dict.fromkeys(FAVOURABLE_RANGES, (-self.weight_clip, self.weight_clip))
        return {name: tuple(getattr(self, name) or named[name]) for name in FAVOURABLE_RANGES}


def spike_time_loss(
    out: NetworkOutput,
    targets: torch.Tensor,
    config: SpikeTimingConfig,
    *,
    wh: torch.Tensor | None = None,
    wo: torch.Tensor | None = None,
    input_times: torch.Tensor | None = None,
    task: XorTask | None = None,
    train: TrainConfig | None = None,
) -> torch.Tensor:
    """Per-network loss (N,) over the P patterns of ``out`` (settings: ``train``, default ``TrainConfig()``).

    Output term per pattern (times in ns): ``loss="margin"``: max(0, margin - s (t - boundary))^2 with
    s = +1 for a late-class target (> boundary), -1 for an early one; ``loss="target"``: (t - target)^2.
    A silent output uses the pseudo time t_late + silent_delay + (pi/2 - max_phase)/(pi/2) ns +
    gate_slope ns/V * deficit; its gradient pushes the output to fire, through the phase it reached or its
    gate deficit (``revive``); with "margin" a silent late-class output adds ((t_pseudo - t_late)/ns)^2.
    A hidden neuron silent for every pattern adds dead_weight * [(pi/2 - max_phase) + deficit/V] (revives
    it), and every pattern adds bias_weight * sum_j max(0, w_bias,j * 1 V - (V_T + 50 mV))^2 / V^2.
    ``wh``, ``wo`` (the weights that produced ``out``) and ``input_times`` (P, I + 1) s are needed for
    ``revive="data_peaks"`` and ``bias_weight`` > 0.
    """
    train = train or TrainConfig()
    task = task or XorTask()
    need_weights = train.revive == "data_peaks" or train.bias_weight > 0
    if need_weights and (wh is None or wo is None or input_times is None):
        raise ValueError(
            f"wh, wo and input_times are required for revive = {train.revive!r}, bias_weight = {train.bias_weight!r}; "
            "allowed without them: revive = 'max_gate' and bias_weight = 0"
        )
    half = config.circuit.spike_phase  # pi/2 rad for the SV/MTJ-nMOS neuron
    v_open = config.circuit.gate_threshold + 0.05
    if train.revive == "data_peaks":
        gates, valid = data_pulse_gates(wh, wo, out, input_times, config)
        deficit = ((v_open - gates).clamp_min(0.0) * valid).sum(-1) / valid.sum(-1).clamp_min(1)
    else:
        deficit = (v_open - out.max_gate).clamp_min(0.0)
    spiked = out.spiked[..., -1]
    pseudo = task.t_late + train.silent_delay + ((half - out.max_phase[..., -1]) / half + train.gate_slope * deficit[..., -1]) * 1e-9
    t_eff = torch.where(spiked, out.time[..., -1], pseudo)
    if train.loss == "target":
        per_pattern = ((t_eff - targets[None, :]) / 1e-9) ** 2
    else:
        late = (targets > task.boundary)[None, :]
        b, m = task.boundary, train.margin
        hinge = torch.where(late, (b + m - t_eff).clamp_min(0.0), (t_eff - (b - m)).clamp_min(0.0))
        fire = torch.where(late & ~spiked, (pseudo - task.t_late) / 1e-9, torch.zeros_like(pseudo))
        per_pattern = (hinge / 1e-9) ** 2 + fire**2
    loss = per_pattern.sum(-1)
    dead = ~out.spiked[..., :-1].any(1)  # (N, H)
    revive = ((half - out.max_phase[..., :-1]).clamp_min(0.0) + deficit[..., :-1]).sum(1)  # (N, H)
    loss = loss + train.dead_weight * (dead * revive).sum(-1)
    if train.bias_weight > 0:
        bias = torch.cat([wh[..., -1], wo[:, -1:]], -1)  # (N, H + 1) gains of the bias synapses
        loss = loss + targets.shape[0] * train.bias_weight * ((bias - v_open).clamp_min(0.0) ** 2).sum(-1)
    return loss


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
    """N random initialisations (float64, V/V), uniform in the ranges of ``train.init_ranges()`` (the named
    ``train.init``, "broad" = the whole VCA range [-weight_clip, weight_clip], with any explicit overrides)."""
    check_range("n", n, 1, 100_000_000)
    ranges = train.init_ranges()

    def uniform(shape: tuple[int, ...], bounds: tuple[float, float]) -> torch.Tensor:
        lo, hi = bounds
        return lo + (hi - lo) * torch.rand(shape, generator=generator, dtype=torch.float64)

    h, i = config.n_hidden, config.n_inputs
    wh = torch.cat([uniform((n, h, i), ranges["hidden_init"]), uniform((n, h, 1), ranges["hidden_bias_init"])], -1)
    wo = torch.cat([uniform((n, h), ranges["output_init"]), uniform((n, 1), ranges["output_bias_init"])], -1)
    return wh, wo


class _Adam:
    """Adam (Kingma & Ba 2015) on a list of (N, ...) weight tensors, updating only the networks in ``active``
    (each network keeps its own moments and step count); the step size of a network's k-th update is
    lr * min(1, k / warmup) (linear warm-up over ``warmup`` updates; 0 = none)."""

    def __init__(
        self, params: tuple[torch.Tensor, ...], lr: float, beta1: float, beta2: float = 0.999, eps: float = 1e-8, warmup: int = 0
    ) -> None:
        self.params, self.lr, self.b1, self.b2, self.eps, self.warmup = params, lr, beta1, beta2, eps, warmup
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
            lr = self.lr * (t / self.warmup).clamp_max(1.0) if self.warmup > 0 else self.lr
            p.sub_(mask * lr * m_hat / (v_hat.sqrt() + self.eps))


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
    and take Adam steps (``train.beta1``, ``train.beta2``) on ``spike_time_loss`` with the ``train``
    settings; weights are clipped to the VCA range. Converged networks are frozen when
    ``stop_when_converged``. Every initialisation is trained once, from its initial weights to the end
    (no restarts or re-initialisation).
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
        check_network_inputs(wh0, wo0, times, config)
        if wh0.shape[0] != n_init:
            raise ValueError(f"init holds {wh0.shape[0]} networks; allowed: n_init = {n_init}")
    wh, wo = wh0.clone(), wo0.clone()
    updates_per_epoch = 4 if train.online else 1
    adam = _Adam((wh, wo), train.learning_rate, train.beta1, train.beta2, warmup=train.warmup_epochs * updates_per_epoch)
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
            last_l[live] = spike_time_loss(out, targets, config, wh=wh[live], wo=wo[live], input_times=times, task=task, train=train)
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
            spike_time_loss(out, targets[sel], config, wh=a, wo=b, input_times=times[sel], task=task, train=train).sum().backward()
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


