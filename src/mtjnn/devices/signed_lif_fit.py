"""Extract the signed LIF from LLGS traces of the orthogonal-easy-axis MTJ, and say how well it describes them.

Protocol (SEEDS_SPEC 3.3 and the paper's criteria; the metric definitions are ours, stated here):

1. ``input_bank``: signed current sequences, one value per clock period of the device — steps of both signs
   (+-0.2 ... 2 I_ref), pulse trains of both signs, random signed sequences; 100 ns each by default.
2. ``OrthogonalMTJ.run`` drives them all in ONE batched LLGS call, sampled every h = clock / samples_per_clock.
   Membrane observable: ``"projection"`` u = m_y sign(m_z) = sin(psi) (the moment along the intermediate
   axis, in the frame of the current easy direction) or ``"angle"`` u = psi (rad). Device spike: a flip of m
   over the saddle (m along +-y), at the sample where it happens, signed by the sense of rotation (the sign
   of the m.p pulse the reference layer reads).
3. The model is the continuous-time signed LIF tau du/dt = -u + R i(t), i = I / I_ref, integrated exactly
   over each sample interval (u <- a u + (1 - a) R i, a = exp(-h / tau)); +1 spike at u >= theta_pos, -1 at
   u <= -theta_neg, reset u <- s * reset_value.
4. Metrics. ``rmse_over_theta``: RMS(u_device - u_model) / theta_pos over every sample of the bank, the model
   reset where the device spiked (teacher forcing, so a spike-time error is not counted as a membrane
   error). ``spike_time_error``: mean over device spikes of |t_model - t_device| / ISI, the model running
   free between device spikes (resetting on its own spikes, re-synchronized at each device spike); ISI is the
   device's interval before that spike (from the start for the first); a device spike that the model misses
   within one ISI, or fires with the wrong sign, counts 1. False spikes are counted separately.
   Acceptance (the paper's): rmse_over_theta < 0.03 and spike_time_error < 0.05.
5. Fit: tau, R, theta_pos, theta_neg and reset_value minimize rmse/0.03 + spike_time_error/0.05 + false
   spikes per device spike (Nelder-Mead from several starts), i.e. both criteria in units of their limits.

``discrete`` turns the fitted continuous model into the network's per-step ``SignedLIFParams`` at a clock dt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
import torch
from scipy.optimize import minimize

from ..validation import check_choice, check_positive, check_range
from .signed_lif import SignedLIFParams
from .signed_lif_macrospin import NeuronTraces, OrthogonalMTJ

OBSERVABLES = ("projection", "angle")
KINDS = ("step", "train", "random")
RMSE_LIMIT = 0.03
SPIKE_TIME_LIMIT = 0.05


@dataclass(frozen=True)
class InputBank:
    """Signed current sequences ``currents`` (B, K) in A, one value per clock period of ``clock`` s; ``kinds`` (B,)
    names the family of each row (``KINDS``); ``labels`` describe each row; ``i_ref`` is the reference current, A."""

    currents: np.ndarray
    kinds: tuple[str, ...]
    labels: tuple[str, ...]
    i_ref: float
    clock: float


def input_bank(i_ref: float, clock: float, duration: float = 100e-9, *, seed: int = 0, random_sequences: int = 12,
               max_level: float = 2.5) -> InputBank:
    """The fit bank of SEEDS_SPEC 3.3 in units of ``i_ref`` (A; the rheobase I_c is the natural choice).

    Steps +-{0.2, 0.4, 0.6, 0.8, 0.9, 1.1, 1.25, 1.5, 2} I_ref from the 10th clock period; trains of one-period
    pulses of +-{1.5, 2.5} I_ref every 2, 3 or 5 periods; ``random_sequences`` sequences of N(+-0.3, 1) I_ref per
    period (seeded). Rows whose largest |level| exceeds ``max_level`` are left out (a gentler bank).
    ``duration`` (s) is rounded to whole clock periods.
    """
    check_positive("i_ref", i_ref, unit="A")
    check_positive("clock", clock, unit="s")
    check_range("duration", duration, 20 * clock, 1e-5, unit="s")
    check_range("random_sequences", random_sequences, 0, 1000)
    check_positive("max_level", max_level)
    k = int(round(duration / clock))
    rows, kinds, labels = [], [], []

    def add(x: np.ndarray, kind: str, label: str) -> None:
        if np.abs(x).max() <= max_level:
            rows.append(x)
            kinds.append(kind)
            labels.append(label)

    for level in (0.2, 0.4, 0.6, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0):
        for sign in (1, -1):
            x = np.zeros(k)
            x[10:] = sign * level
            add(x, "step", f"step {sign * level:+g} I_ref")
    for level in (1.5, 2.5):
        for every in (2, 3, 5):
            for sign in (1, -1):
                x = np.zeros(k)
                x[10::every] = sign * level
                add(x, "train", f"train {sign * level:+g} I_ref every {every}")
    rng = np.random.default_rng(seed)
    for i in range(random_sequences):
        mean = 0.3 * (1 if i % 2 == 0 else -1)
        x = rng.normal(mean, 1.0, k)
        rows.append(x)
        kinds.append("random")
        labels.append(f"random N({mean:+g}, 1) I_ref")
    return InputBank(currents=np.array(rows) * i_ref, kinds=tuple(kinds), labels=tuple(labels), i_ref=i_ref, clock=clock)


@dataclass(frozen=True)
class ContinuousLIF:
    """tau du/dt = -u + R i(t) (tau in s, R per unit i = I / current_scale), thresholds, reset value (units of u)."""

    tau: float
    r: float
    theta_pos: float
    theta_neg: float
    reset_value: float
    current_scale: float

    def discrete(self, clock: float) -> SignedLIFParams:
        """Per-step signed LIF for inputs held for ``clock`` s: beta = exp(-clock/tau), gain = (1 - beta) R."""
        check_positive("clock", clock, unit="s")
        beta = math.exp(-clock / self.tau)
        return SignedLIFParams(beta=beta, gain=(1.0 - beta) * self.r, theta_pos=self.theta_pos, theta_neg=self.theta_neg,
                               reset="value", reset_value=self.reset_value, dt=clock, current_scale=self.current_scale)


@dataclass(frozen=True)
class SignedLIFFit:
    """Result of ``fit_signed_lif``: the fitted ``model`` and how well it describes the device (module docstring)."""

    model: ContinuousLIF
    observable: str
    rmse_over_theta: float
    rmse_by_kind: dict[str, float]
    spike_time_error: float
    spike_time_error_by_kind: dict[str, float]
    median_spike_time_error: float
    device_spikes: int
    missed_spikes: int
    false_spikes: int
    passes: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "passes", self.rmse_over_theta < RMSE_LIMIT and self.spike_time_error < SPIKE_TIME_LIMIT)

    def summary(self) -> dict:
        """JSON-ready numbers (SI units: tau_s in s, current_scale_a in A)."""
        m = self.model
        return {
            "observable": self.observable, "tau_s": m.tau, "r": m.r, "theta_pos": m.theta_pos, "theta_neg": m.theta_neg,
            "reset_value": m.reset_value, "current_scale_a": m.current_scale,
            "rmse_over_theta": self.rmse_over_theta, "rmse_by_kind": self.rmse_by_kind,
            "spike_time_error": self.spike_time_error, "median_spike_time_error": self.median_spike_time_error,
            "spike_time_error_by_kind": self.spike_time_error_by_kind, "device_spikes": self.device_spikes,
            "missed_spikes": self.missed_spikes, "false_spikes": self.false_spikes, "passes": self.passes,
            "limits": {"rmse_over_theta": RMSE_LIMIT, "spike_time_error": SPIKE_TIME_LIMIT},
        }


def membrane(traces: NeuronTraces, name: str) -> np.ndarray:
    """The membrane observable (S, B) of ``traces`` (module docstring)."""
    check_choice("observable", name, OBSERVABLES)
    return np.sin(traces.angle) if name == "projection" else traces.angle


def device_spikes(traces: NeuronTraces) -> np.ndarray:
    """Device spikes (S-1, B): net flips over the saddle within each sample interval, clipped to +-1."""
    return np.clip(np.diff(traces.turns, axis=0), -1, 1)


@numba.njit(cache=True)
def _run(x: np.ndarray, forced: np.ndarray, a: float, r: float, theta_pos: float, theta_neg: float, reset_value: float,
         own_resets: bool) -> tuple[np.ndarray, np.ndarray]:
    """Membrane (S, B) and spikes (S-1, B) of the sampled LIF; x (S-1, B) input per interval; forced (S-1, B) device spikes."""
    steps, batch = x.shape
    u_out = np.zeros((steps + 1, batch))
    s_out = np.zeros((steps, batch))
    for b in range(batch):
        u = 0.0
        for n in range(steps):
            u = a * u + (1.0 - a) * r * x[n, b]
            s = 1.0 if u >= theta_pos else (-1.0 if u <= -theta_neg else 0.0)
            s_out[n, b] = s
            reset = s if own_resets else 0.0
            if forced[n, b] != 0.0:
                reset = forced[n, b]
            if reset != 0.0:
                u = reset * reset_value
            u_out[n + 1, b] = u
    return u_out, s_out


def run_model(model: ContinuousLIF, x: np.ndarray, h: float, forced: np.ndarray | None = None, *,
              own_resets: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Membrane (S, B) and spikes (S-1, B) of ``model`` for inputs ``x`` (S-1, B) (units of current_scale) on a grid of h s.
    ``forced``: device spikes (S-1, B) at which the model is reset (teacher forcing)."""
    forced = np.zeros_like(x) if forced is None else forced
    return _run(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(forced, dtype=np.float64), math.exp(-h / model.tau),
                model.r, model.theta_pos, model.theta_neg, model.reset_value, own_resets)


def spike_time_errors(device: np.ndarray, model: np.ndarray) -> tuple[np.ndarray, int]:
    """Per-device-spike errors |t_model - t_device| / ISI (1: missed within one ISI, or wrong sign) and the number of false
    model spikes, for spike rasters (S-1, B) of a model re-synchronized at each device spike."""
    errors, false = [], 0
    for b in range(device.shape[1]):
        t_dev = np.flatnonzero(device[:, b])
        t_mod = list(np.flatnonzero(model[:, b]))
        prev = -1
        for t in t_dev:
            isi = t - prev
            match = next((m for m in t_mod if prev < m <= t + isi), None)
            if match is None:
                errors.append(1.0)
            else:
                t_mod.remove(match)
                same = np.sign(model[match, b]) == np.sign(device[t, b])
                errors.append(min(abs(match - t) / isi, 1.0) if same else 1.0)
            prev = t
        false += len(t_mod)
    return np.array(errors), false


def evaluate(model: ContinuousLIF, traces: NeuronTraces, bank: InputBank, observable_name: str = "projection") -> SignedLIFFit:
    """Metrics of ``model`` on the bank (module docstring)."""
    u_dev = membrane(traces, observable_name)
    spikes = device_spikes(traces)
    x = _inputs(traces, bank)
    h = traces.clock / traces.samples_per_clock
    u_forced, _ = run_model(model, x, h, spikes, own_resets=False)
    _, s_model = run_model(model, x, h, spikes)
    sq = (u_forced - u_dev) ** 2
    kinds = np.array(bank.kinds)
    by_kind, all_errors, false = {}, [], 0
    for kind in KINDS:
        rows = kinds == kind
        if rows.any():
            err, f = spike_time_errors(spikes[:, rows], s_model[:, rows])
            by_kind[kind] = float(err.mean()) if err.size else 0.0
            all_errors.append(err)
            false += f
    errors = np.concatenate(all_errors)
    theta = model.theta_pos
    return SignedLIFFit(
        model=model, observable=observable_name, rmse_over_theta=float(np.sqrt(sq.mean()) / theta),
        rmse_by_kind={k: float(np.sqrt(sq[:, kinds == k].mean()) / theta) for k in KINDS if (kinds == k).any()},
        spike_time_error=float(errors.mean()) if errors.size else 0.0, spike_time_error_by_kind=by_kind,
        median_spike_time_error=float(np.median(errors)) if errors.size else 0.0,
        device_spikes=int(np.abs(spikes).sum()), missed_spikes=int((errors >= 1.0).sum()), false_spikes=int(false),
    )


def fit_signed_lif(traces: NeuronTraces, bank: InputBank, *, observable_name: str = "projection", tau_guess: float | None = None,
                   objective: str = "joint", restarts: int = 4) -> SignedLIFFit:
    """Fit tau, R, theta_pos, theta_neg, reset_value to ``traces`` of ``bank`` (module docstring, step 5).

    ``objective``: "joint" (both criteria in units of their limits), "membrane" (RMSE first: the subthreshold
    description; spike times only break ties) or "spikes" (spike times first). ``tau_guess`` (s): a starting time constant (default: 2 clocks).
    """
    check_choice("objective", objective, ("joint", "membrane", "spikes"))
    u_dev = membrane(traces, observable_name)
    spikes = device_spikes(traces)
    x = _inputs(traces, bank)
    h = traces.clock / traces.samples_per_clock
    n_spikes = int(np.abs(spikes).sum())
    if n_spikes == 0:
        raise ValueError("the bank never made the device spike (0 flips), so no threshold can be fitted; "
                         "allowed: a bank whose inputs reach above the rheobase")
    tau0 = tau_guess or 2 * traces.clock
    scale = float(np.abs(u_dev).max()) or 1.0

    def model_of(q: np.ndarray) -> ContinuousLIF | None:
        log_tau, r, theta_pos, theta_neg, reset_value = q
        if r <= 0 or min(theta_pos, theta_neg) <= abs(reset_value) or min(theta_pos, theta_neg) <= 0.01 or not -40 < log_tau < 0:
            return None
        return ContinuousLIF(math.exp(log_tau), float(r), float(theta_pos), float(theta_neg), float(reset_value), bank.i_ref)

    def membrane_rmse(model: ContinuousLIF) -> float:
        u, _ = run_model(model, x, h, spikes, own_resets=False)
        return float(np.sqrt(np.mean((u - u_dev) ** 2)))

    def spike_term(model: ContinuousLIF) -> float:
        _, s = run_model(model, x, h, spikes)
        err, false = spike_time_errors(spikes, s)
        return (err.sum() + false) / n_spikes / SPIKE_TIME_LIMIT

    def cost(q: np.ndarray) -> float:
        model = model_of(q)
        if model is None:
            return 1e9
        rmse = membrane_rmse(model) / model.theta_pos / RMSE_LIMIT
        return rmse + spike_term(model) if objective == "joint" else 1e-3 * rmse + spike_term(model)

    def search(fun, starts: list[np.ndarray]) -> np.ndarray:
        results = [minimize(fun, q0, method="Nelder-Mead", options={"maxiter": 400, "xatol": 1e-4, "fatol": 1e-5}) for q0 in starts]
        return min(results, key=lambda res: res.fun).x

    starts = [np.array([math.log(tau0 * f), 0.8 * scale, 0.8 * scale, 0.8 * scale, r0])
              for f in (3.0, 1.0) for r0 in (-0.5 * scale, 0.0)][:restarts]
    if objective == "membrane":
        # stage 1: the subthreshold description (tau, R, reset) on the membrane alone, thresholds out of the way;
        # stage 2: the thresholds on spike times with that membrane fixed
        def membrane_cost(q: np.ndarray) -> float:
            model = model_of(np.array([q[0], q[1], 1e3, 1e3, q[2]]))
            too_deep = abs(q[2]) > 0.8 * scale  # a reset beyond the thresholds would fire the opposite spike at once
            return 1e9 if model is None or too_deep else membrane_rmse(model) / scale

        log_tau, r, reset_value = search(membrane_cost, [q[[0, 1, 4]] for q in starts])

        def threshold_cost(q: np.ndarray) -> float:
            model = model_of(np.array([log_tau, r, q[0], q[1], reset_value]))
            return 1e9 if model is None else spike_term(model)

        low = abs(reset_value) + 0.05 * scale
        theta = search(threshold_cost, [np.array([t, t]) for t in (max(0.6 * scale, low), max(0.9 * scale, low + 0.2 * scale))])
        model = model_of(np.array([log_tau, r, theta[0], theta[1], reset_value]))
    else:
        model = model_of(search(cost, starts))
    return evaluate(model, traces, bank, observable_name)


def _inputs(traces: NeuronTraces, bank: InputBank) -> np.ndarray:
    """Input (S-1, B) per sample interval, in units of I_ref."""
    return np.repeat(bank.currents / bank.i_ref, traces.samples_per_clock, axis=1).T


def fit_device(device: OrthogonalMTJ, clock: float, *, duration: float = 100e-9, samples_per_clock: int = 10, dt: float = 1e-12,
               observable_name: str = "projection", objective: str = "joint", restarts: int = 4, seed: int = 0,
               generator: torch.Generator | None = None) -> tuple[SignedLIFFit, NeuronTraces, InputBank]:
    """Drive ``device`` with the bank (I_ref = its rheobase I_c, one value per ``clock`` s) in one LLGS call, fit the signed
    LIF, return (fit, traces, bank). At a temperature > 0 the thermal field is drawn from ``generator``."""
    bank = input_bank(device.critical_current(), clock, duration, seed=seed)
    traces = device.run(torch.as_tensor(bank.currents), clock, samples_per_clock=samples_per_clock, dt=dt, generator=generator)
    fit = fit_signed_lif(traces, bank, observable_name=observable_name, tau_guess=device.time_constant(), objective=objective,
                         restarts=restarts)
    return fit, traces, bank
