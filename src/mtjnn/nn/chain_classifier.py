"""Reconfigurable chain classifier of seed 002: linear input map, class -> configuration table, ±ΔI rule.

Model (López et al., Phys. Rev. Applied 22, 014082 (2024)). F features x (Hz) become two input currents
by a linear map, I_A = w_A . x + b_A and I_B = w_B . x + b_B (2F + 2 = 26 coefficients for F = 12);
a ``SeriesChain`` of N junctions turns them into a switching configuration (n_A, n_B); a table assigns
one distinct configuration ("cell") to each of the K classes, and any other configuration is an error.
Trained parameters: the 26 map coefficients and the 2N control currents I_C,i^j (32 for N = 3).

Software training (``fit_smoothed``; the seed's supplement with its map fit is unavailable):
with thresholds theta_i^j = I_sw,i - I_C,i^j, input j's count is the number of junctions with
theta_i^j < I_j, so each class occupies the rectangle of its cell in the (I_A, I_B) plane.
1. z-score the features; LDA-whiten them (within-class covariance, shrinkage ``shrinkage``).
2. Structure search: for every ordered grouping g of the K classes into <= N + 1 bins (one axis), fit a
   unit direction and cut points under the Gaussian (LDA) class model, maximising the probability that
   each class mean's Gaussian falls in its bin; pair two groupings (axes A and B) whose cells
   (g_A(k), g_B(k)) are distinct, ranked by mean_k P_A(k) P_B(k).
3. Fine-tune the ``n_candidates`` best pairs jointly on the training data through a sigmoid-smoothed
   chain: P(junction i switched) = sigmoid((u_j - theta_i^j)/T), the count distribution is the
   Poisson-binomial of the N junctions, the loss is -log P(cell of the true class) + weight decay, and
   T is annealed from ``temperature_start`` to ``temperature_end`` (units: within-class std).
4. Keep the candidate with the lowest loss, and map each axis affinely onto the current window
   (``window``, default 300-900 uA, between the 2 % and 98 % quantiles of the training inputs).

Hardware rule (``train_hardware``; seed 002: "in each learning step a randomly chosen input of each
category is applied ... if the output configurations fail to classify the inputs, the control currents
I_C,i^j are modified by +10 uA or -10 uA toward reducing misclassification"). Our exact choice:
for every misclassified sample and each input j whose count n_j differs from the target t_j:
n_j > t_j -> of the junctions that switched, the n_j - t_j with the highest estimated threshold
theta^_i = I^_sw,i - I_C,i^j vote -1 (raise their threshold); n_j < t_j -> of those that did not, the
t_j - n_j with the lowest theta^_i vote +1. After the K samples of a step, I_C,i^j += 10 uA x
sign(sum of votes), clipped to ``control_range``. I^_sw is the designer's estimate (nominal values),
so the rule only uses what the hardware sees (which junctions switched) and the currents it sets.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch

from ..devices.mtj import MTJ
from ..validation import check_choice, check_range


class SeriesChain(Protocol):
    """What the classifier needs of a chain (``mtjnn.circuits.series_chain.SeriesChain`` provides it;
    ``nn`` does not import ``circuits``): its junctions and ``apply(i_a, i_b, control, generator)``
    returning an output with ``configuration``, ``n_a``, ``n_b``, ``switched_a``, ``switched_b``."""

    device: MTJ

    @property
    def n_devices(self) -> int: ...

    def apply(self, i_a: torch.Tensor, i_b: torch.Tensor, control: torch.Tensor, generator: torch.Generator | None = None) -> Any: ...


@dataclass(frozen=True)
class InputMap:
    """Linear map from features (Hz) to the two input currents (A): I = weight @ x + bias.

    weight: (2, F) in A/Hz; bias: (2,) in A. Row 0 is input A, row 1 input B.
    """

    weight: torch.Tensor
    bias: torch.Tensor

    def __post_init__(self) -> None:
        w = torch.as_tensor(self.weight, dtype=torch.float64)
        b = torch.as_tensor(self.bias, dtype=torch.float64)
        if w.ndim != 2 or w.shape[0] != 2 or b.shape != (2,):
            raise ValueError(f"weight {tuple(w.shape)}, bias {tuple(b.shape)}; allowed: (2, F) and (2,)")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", b)

    @property
    def n_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_parameters(self) -> int:
        return 2 * self.n_features + 2

    def __call__(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Input currents (S, 2) in A for features (S, F) in Hz."""
        x = torch.as_tensor(np.asarray(features) if not isinstance(features, torch.Tensor) else features, dtype=torch.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"features has shape {tuple(x.shape)}; allowed: (S, {self.n_features})")
        return x @ self.weight.T + self.bias


@dataclass(frozen=True)
class ChainClassifier:
    """Trained state of the chain classifier (SI units).

    input_map: the 26-coefficient map; control: (2, N) control currents I_C,i^j in A (row j = input);
    cells: (K,) distinct configuration index assigned to each class; switching_estimate: (N,) the
    designer's estimate of each junction's I_sw (A), used only by the hardware rule to rank junctions.
    spare: how the lookup table reads configurations no class is assigned to: "error" (they are errors,
    as in the seed: one configuration per class) or "nearest" (the class whose cell is nearest in
    (n_A, n_B), L1 distance; a tie stays unassigned). Training never uses spare configurations.
    """

    input_map: InputMap
    control: torch.Tensor
    cells: torch.Tensor
    switching_estimate: torch.Tensor
    spare: str = "error"

    def __post_init__(self) -> None:
        check_choice("spare", self.spare, ("error", "nearest"))
        control = torch.as_tensor(self.control, dtype=torch.float64)
        cells = torch.as_tensor(self.cells, dtype=torch.int64)
        est = torch.as_tensor(self.switching_estimate, dtype=torch.float64)
        n = est.shape[-1]
        if control.shape[-2:] != (2, n):
            raise ValueError(f"control has shape {tuple(control.shape)}; allowed: (2, N) or (D, 2, N), N = {n}")
        if cells.ndim != 1 or len(set(cells.tolist())) != cells.numel() or int(cells.min()) < 0 or int(cells.max()) >= (n + 1) ** 2:
            raise ValueError(f"cells = {cells.tolist()}; allowed: distinct configuration indices in [0, {(n + 1) ** 2 - 1}]")
        check_range("control", control, -0.1, 0.1, unit="A")
        object.__setattr__(self, "control", control)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "switching_estimate", est)

    @property
    def n_devices(self) -> int:
        return int(self.switching_estimate.shape[-1])

    @property
    def n_classes(self) -> int:
        return int(self.cells.numel())

    @property
    def n_parameters(self) -> int:
        """Trained parameters: map coefficients + control currents (32 for 12 features and N = 3)."""
        return self.input_map.n_parameters + 2 * self.n_devices

    def lut(self) -> torch.Tensor:
        """(N + 1)^2 lookup table configuration -> class (-1 = unassigned; see ``spare``)."""
        n1 = self.n_devices + 1
        table = torch.full((n1**2,), -1, dtype=torch.int64)
        if self.spare == "nearest":
            config = torch.arange(n1**2)
            dist = ((config[:, None] // n1 - self.cells[None, :] // n1).abs()
                    + (config[:, None] % n1 - self.cells[None, :] % n1).abs())  # (C, K)
            best = dist.min(1, keepdim=True).values
            unique = (dist == best).sum(1) == 1
            table = torch.where(unique, dist.argmin(1), table)
        table[self.cells] = torch.arange(self.n_classes)
        return table

    def targets(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Target counts (t_A, t_B) of every class, each (K,)."""
        return self.cells // (self.n_devices + 1), self.cells % (self.n_devices + 1)

    def thresholds(self) -> torch.Tensor:
        """Estimated input thresholds theta^ = I^_sw - I_C (A), shape of ``control``."""
        return self.switching_estimate - self.control

    def with_control(self, control: torch.Tensor) -> "ChainClassifier":
        return replace(self, control=control)

    def run(self, features: torch.Tensor | np.ndarray, chain: SeriesChain, generator: torch.Generator | None = None):
        """``ChainOutput`` of the chain for every sample (the chain may hold (D, N) device realisations)."""
        if chain.n_devices != self.n_devices:
            raise ValueError(f"chain has {chain.n_devices} junctions; allowed: {self.n_devices} (as trained)")
        currents = self.input_map(features)
        control = self.control
        d = _realisations(chain)
        if d and control.ndim == 2:
            control = control.expand(d, 2, self.n_devices)
        return chain.apply(currents[:, 0], currents[:, 1], control, generator)

    def predict(self, features: torch.Tensor | np.ndarray, chain: SeriesChain, generator: torch.Generator | None = None) -> torch.Tensor:
        """Predicted class (..., S) (-1 where the configuration is unassigned)."""
        return self.lut()[self.run(features, chain, generator).configuration]

    def accuracy(self, features, labels, chain: SeriesChain, generator: torch.Generator | None = None) -> torch.Tensor:
        """Fraction of correct predictions, a scalar (or (D,) for D device realisations)."""
        labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        return (self.predict(features, chain, generator) == labels).to(torch.float64).mean(-1)


def _realisations(chain: SeriesChain) -> int:
    sw = chain.device.switching
    params = sw.i_sw if sw.fidelity == "compact" else sw.anisotropy_field
    return int(params.shape[0]) if params.ndim == 2 else 0


# ------------------------------------------------------------------------------------ software training
@dataclass(frozen=True)
class SmoothedTrainingConfig:
    """Settings of ``fit_smoothed`` (see the module docstring); currents in A."""

    n_candidates: int = 8
    iterations: int = 300
    lr: float = 0.02
    temperature_start: float = 1.0
    temperature_end: float = 0.3
    weight_decay: float = 1e-2
    shrinkage: float = 0.1
    proxy_iterations: int = 200
    proxy_top: int = 400
    window: tuple[float, float] = (300e-6, 900e-6)
    window_quantiles: tuple[float, float] = (0.02, 0.98)
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("n_candidates", self.n_candidates, 1, 10_000)
        check_range("iterations", self.iterations, 0, 1_000_000)
        check_range("lr", self.lr, 0.0, 10.0, low_inclusive=False)
        check_range("temperature_start", self.temperature_start, 0.0, 100.0, low_inclusive=False)
        check_range("temperature_end", self.temperature_end, 0.0, self.temperature_start, low_inclusive=False)
        check_range("weight_decay", self.weight_decay, 0.0, 100.0)
        check_range("shrinkage", self.shrinkage, 0.0, 1.0)
        check_range("proxy_iterations", self.proxy_iterations, 1, 1_000_000)
        check_range("proxy_top", self.proxy_top, 2, 100_000)
        lo, hi = self.window
        check_range("window", self.window, -0.1, 0.1, unit="A")
        if not lo < hi:
            raise ValueError(f"window = {self.window!r}; allowed: (low, high) with low < high, in A")
        qlo, qhi = self.window_quantiles
        if not 0.0 <= qlo < qhi <= 1.0:
            raise ValueError(f"window_quantiles = {self.window_quantiles!r}; allowed: 0 <= low < high <= 1")


class SmoothedReport(NamedTuple):
    """What ``fit_smoothed`` found: the loss and hard training accuracy of the chosen candidate, and of all."""

    loss: float
    train_accuracy: float
    candidate_losses: list[float]
    candidate_accuracies: list[float]
    proxy_scores: list[float]
    cells: list[int]


@functools.lru_cache(maxsize=16)
def groupings(n_classes: int, n_bins: int) -> np.ndarray:
    """Every ordered grouping of ``n_classes`` classes into at most ``n_bins`` bins (G, K) int.

    Canonical form: the used bins are 0..m-1 and a grouping and its reversal are listed once.
    """
    out = set()
    for g in itertools.product(range(n_bins), repeat=n_classes):
        used = len(set(g))
        if max(g) != used - 1:
            continue
        out.add(min(g, tuple(used - 1 - v for v in g)))
    return np.array(sorted(out), dtype=np.int64)


def _lda(z: np.ndarray, y: np.ndarray, k: int, shrinkage: float) -> tuple[np.ndarray, np.ndarray]:
    """Whitened LDA projection (k - 1, F) and the class means in that space (k, k - 1)."""
    f = z.shape[1]
    mu = z.mean(0)
    sw = np.zeros((f, f))
    sb = np.zeros((f, f))
    for c in range(k):
        zc = z[y == c]
        mc = zc.mean(0)
        sw += (zc - mc).T @ (zc - mc)
        sb += len(zc) * np.outer(mc - mu, mc - mu)
    sw /= max(len(z) - k, 1)
    sw = (1 - shrinkage) * sw + shrinkage * np.trace(sw) / f * np.eye(f)
    li = np.linalg.inv(np.linalg.cholesky(sw))
    _, vecs = np.linalg.eigh(li @ sb @ li.T)
    proj = vecs[:, ::-1][:, : min(k - 1, f)].T @ li
    means = np.stack([((z[y == c] - mu) @ proj.T).mean(0) for c in range(k)])
    return proj, means


class _Adam:
    """Minimal Adam (Kingma & Ba 2015) over a list of leaf tensors; avoids torch.optim's import cost."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self, loss: torch.Tensor) -> None:
        grads = torch.autograd.grad(loss, self.params)
        self.t += 1
        b1, b2 = self.betas
        with torch.no_grad():
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / (1 - b1**self.t))


def _phi(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / np.sqrt(2.0))


def _proxy_fit(means: np.ndarray, groups: np.ndarray, n_cuts: int, iterations: int, seed: int):
    """Per grouping: unit direction v and cut points c maximising sum_k log P(N(mu_k.v, 1) in bin g(k))."""
    g, d = groups.shape[0], means.shape[1]
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(g, d, dtype=torch.float64, generator=gen).requires_grad_()
    c1 = torch.zeros(g, 1, dtype=torch.float64, requires_grad=True)
    dc = torch.zeros(g, max(n_cuts - 1, 0), dtype=torch.float64, requires_grad=True)
    mt = torch.as_tensor(means)
    gt = torch.as_tensor(groups)
    opt = _Adam([v, c1, dc], lr=0.1)
    big = torch.full((g, 1), 1e3, dtype=torch.float64)
    for _ in range(iterations):
        u = (v / v.norm(dim=1, keepdim=True)) @ mt.T
        cuts = torch.cat([c1, c1 + torch.cumsum(torch.nn.functional.softplus(dc), 1)], 1)
        edges = torch.cat([-big, cuts, big], 1)
        pk = (_phi(u - edges.gather(1, gt)) - _phi(u - edges.gather(1, gt + 1))).clamp_min(1e-12)
        opt.step(-torch.log(pk).sum())
    with torch.no_grad():
        return pk.numpy(), (v / v.norm(dim=1, keepdim=True)).numpy(), cuts.numpy()


def _best_pairs(pk: np.ndarray, groups: np.ndarray, n_bins: int, top: int, keep: int) -> list[tuple[float, int, int]]:
    order = np.argsort(-pk.mean(1))[:top]
    ga, gb = groups[order][:, None, :], groups[order][None, :, :]
    cells = ga * n_bins + gb  # (T, T, K)
    k = groups.shape[1]
    same = (cells[..., :, None] == cells[..., None, :]) & ~np.eye(k, dtype=bool)
    ok = ~same.any((-1, -2)) & np.triu(np.ones((len(order),) * 2, dtype=bool))
    score = np.where(ok, (pk[order][:, None, :] * pk[order][None, :, :]).mean(-1), -1.0)
    flat = np.argsort(-score, axis=None)[:keep]
    rows, cols = np.unravel_index(flat, score.shape)
    return [(float(score[r, c]), int(order[r]), int(order[c])) for r, c in zip(rows, cols) if score[r, c] >= 0]


def count_distribution(p: torch.Tensor) -> torch.Tensor:
    """Poisson-binomial distribution (..., N + 1) of the number of switched junctions, p (..., N)."""
    d = torch.ones(p.shape[:-1] + (1,), dtype=p.dtype)
    for i in range(p.shape[-1]):
        pi = p[..., i : i + 1]
        d = torch.cat([d * (1 - pi), torch.zeros_like(pi)], -1) + torch.cat([torch.zeros_like(pi), d * pi], -1)
    return d


def smoothed_cell_probability(u: torch.Tensor, theta: torch.Tensor, temperature: float) -> torch.Tensor:
    """P(configuration) (R, S, (N+1)^2) of the sigmoid-smoothed chain; u (R, S, 2), theta (R, 2, N)."""
    pa = torch.sigmoid((u[..., 0:1] - theta[:, None, 0, :]) / temperature)
    pb = torch.sigmoid((u[..., 1:2] - theta[:, None, 1, :]) / temperature)
    da, db = count_distribution(pa), count_distribution(pb)
    return (da[..., :, None] * db[..., None, :]).reshape(*da.shape[:-1], -1)


def fit_smoothed(
    features: np.ndarray,
    labels: np.ndarray,
    switching_estimate: tuple[float, ...] | torch.Tensor,
    config: SmoothedTrainingConfig = SmoothedTrainingConfig(),
) -> tuple[ChainClassifier, SmoothedReport]:
    """Train the input map, cell table and control currents in software (see module docstring).

    features (S, F) in Hz, labels (S,) in 0..K-1, switching_estimate (N,) I_sw of the junctions in A.
    Returns the classifier and a ``SmoothedReport``.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    est = torch.as_tensor(switching_estimate, dtype=torch.float64).reshape(-1)
    n = int(est.numel())
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"features {x.shape}, labels {y.shape}; allowed: (S, F) and (S,)")
    k = int(y.max()) + 1
    if k < 2 or set(np.unique(y).tolist()) != set(range(k)):
        raise ValueError(f"labels must cover 0..K-1 with K >= 2; got classes {sorted(set(y.tolist()))}")
    if k > (n + 1) ** 2:
        raise ValueError(f"{k} classes need more than the (N+1)^2 = {(n + 1) ** 2} configurations of N = {n} junctions")
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = (x - mu) / sd
    proj, means = _lda(z, y, k, config.shrinkage)
    groups = groupings(k, n + 1)
    pk, v, cuts = _proxy_fit(means, groups, n, config.proxy_iterations, config.seed)
    pairs = _best_pairs(pk, groups, n + 1, config.proxy_top, config.n_candidates)
    if not pairs:
        raise ValueError(f"no pair of groupings gives {k} distinct cells with N = {n} junctions")
    r = len(pairs)
    w0 = np.zeros((r, z.shape[1], 2))
    th0 = np.zeros((r, 2, n))
    cells = np.zeros((r, k), dtype=np.int64)
    for i, (_, ia, ib) in enumerate(pairs):
        for j, gi in enumerate((ia, ib)):
            w0[i, :, j] = proj.T @ v[gi]
            th0[i, j] = cuts[gi]
        cells[i] = groups[ia] * (n + 1) + groups[ib]
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(-(z.mean(0) @ w0), requires_grad=True)  # the LDA origin is the mean of the data
    th = torch.tensor(th0, requires_grad=True)
    zt, yt, ct = torch.as_tensor(z), torch.as_tensor(y), torch.as_tensor(cells)
    target = ct[:, yt][..., None]
    opt = _Adam([w, b, th], lr=config.lr)
    losses = torch.zeros(r, dtype=torch.float64)
    for it in range(config.iterations):
        frac = it / max(config.iterations - 1, 1)
        temp = config.temperature_start * (config.temperature_end / config.temperature_start) ** frac
        pc = smoothed_cell_probability(zt @ w + b[:, None, :], th, temp)
        losses = -torch.log(pc.gather(2, target)[..., 0] + 1e-12).mean(1) + config.weight_decay * (w * w).sum((1, 2))
        opt.step(losses.sum())
    with torch.no_grad():
        u = zt @ w + b[:, None, :]
        counts = [(u[..., j : j + 1] > th[:, None, j, :]).sum(-1) for j in (0, 1)]
        hard = (counts[0] * (n + 1) + counts[1] == ct[:, yt]).to(torch.float64).mean(1)
    losses = losses.detach()
    best = int(torch.argmin(losses))
    classifier = _to_currents(x, w.detach()[best], b.detach()[best], th.detach()[best], mu, sd, cells[best], est, config)
    report = SmoothedReport(
        float(losses[best]), float(hard[best]), losses.tolist(), hard.tolist(), [p[0] for p in pairs], cells[best].tolist()
    )
    return classifier, report


def _to_currents(x, w, b, th, mu, sd, cells, est, config: SmoothedTrainingConfig) -> ChainClassifier:
    """Map the trained projection u = W z + b affinely onto the current window; control = I_sw - theta."""
    z = torch.as_tensor((x - mu) / sd)
    u = z @ w + b  # (S, 2)
    qlo, qhi = config.window_quantiles
    lo, hi = config.window
    u_lo = torch.quantile(u, qlo, dim=0)
    u_hi = torch.quantile(u, qhi, dim=0)
    scale = (hi - lo) / (u_hi - u_lo).clamp_min(1e-12)  # (2,) A per unit of u
    offset = lo - scale * u_lo
    margin = 0.25 * (hi - lo)
    theta = (scale[:, None] * th + offset[:, None]).clamp(lo - margin, hi + margin)  # (2, N) A
    weight = (scale[:, None] * w.T) / torch.as_tensor(sd)[None, :]  # (2, F) A/Hz
    bias = scale * (b - w.T @ torch.as_tensor(mu / sd)) + offset
    return ChainClassifier(InputMap(weight, bias), est[None, :] - theta, torch.as_tensor(cells), est)


# ---------------------------------------------------------------------------------------- hardware rule
@dataclass(frozen=True)
class HardwareRuleConfig:
    """Settings of the ±ΔI rule: ``steps`` steps of one random sample per class, ``step_current`` in A,
    control currents clipped to ``control_range`` (A), started at ``initial_control`` (A; None = keep
    the classifier's own, e.g. from ``fit_smoothed``)."""

    steps: int = 80
    step_current: float = 10e-6
    control_range: tuple[float, float] = (-1.5e-3, 0.5e-3)
    initial_control: float | None = -500e-6
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("steps", self.steps, 0, 1_000_000)
        check_range("step_current", self.step_current, 0.0, 1e-3, low_inclusive=False, unit="A")
        check_range("control_range", self.control_range, -0.1, 0.1, unit="A")
        if not self.control_range[0] < self.control_range[1]:
            raise ValueError(f"control_range = {self.control_range!r}; allowed: (low, high) with low < high")
        if self.initial_control is not None:
            check_range("initial_control", self.initial_control, *self.control_range, unit="A")


def rule_votes(
    switched: torch.Tensor, counts: torch.Tensor, targets: torch.Tensor, wrong: torch.Tensor, thresholds: torch.Tensor
) -> torch.Tensor:
    """Votes (..., N) of one input for a batch of presented samples (see module docstring).

    switched (..., S, N) bool, counts/targets (..., S) int, wrong (..., S) bool (sample misclassified),
    thresholds (..., N) estimated input thresholds of the junctions (A). Returns the summed votes.
    """
    excess = (counts - targets).clamp_min(0) * wrong  # junctions to un-switch
    missing = (targets - counts).clamp_min(0) * wrong  # junctions to switch
    th = thresholds[..., None, :].expand_as(switched)
    inf = torch.full_like(th, float("inf"))
    # rank among switched junctions by descending threshold; among non-switched by ascending threshold
    down_key = torch.where(switched, -th, inf)
    up_key = torch.where(~switched, th, inf)
    down_rank = down_key.argsort(-1).argsort(-1)
    up_rank = up_key.argsort(-1).argsort(-1)
    down = switched & (down_rank < excess[..., None])
    up = ~switched & (up_rank < missing[..., None])
    return (up.to(torch.int64) - down.to(torch.int64)).sum(-2)


class HardwareHistory(NamedTuple):
    """Learning curves of ``train_hardware``: control (steps+1, ..., 2, N) in A after every step;
    accuracies (E, ...) measured after the steps listed in ``evaluated`` (E,) (0 = before training)."""

    control: torch.Tensor
    train_accuracy: torch.Tensor
    test_accuracy: torch.Tensor
    evaluated: torch.Tensor


def train_hardware(
    classifier: ChainClassifier,
    chain: SeriesChain,
    x_train: np.ndarray,
    y_train: np.ndarray,
    config: HardwareRuleConfig = HardwareRuleConfig(),
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    generator: torch.Generator | None = None,
    progress: bool = False,
    eval_every: int = 1,
) -> tuple[ChainClassifier, HardwareHistory]:
    """Learn the control currents with the ±ΔI rule on ``chain`` (devices in the loop; any fidelity).

    The map and the cell table stay fixed. With (D, N) device realisations in the chain, the D chains
    learn in parallel (same presented samples, own control currents). Accuracies are measured on the
    whole training (and test) set before training, every ``eval_every`` steps (0 = only at the end)
    and after the last step; random draws come from ``generator``.
    """
    check_range("eval_every", eval_every, 0, 1_000_000)
    y_train = np.asarray(y_train, dtype=np.int64)
    d = _realisations(chain)
    control = classifier.control if config.initial_control is None else torch.full((2, classifier.n_devices), config.initial_control)
    control = control.to(torch.float64)
    if d and control.ndim == 2:
        control = control.expand(d, 2, classifier.n_devices).clone()
    clf = classifier.with_control(control)
    rng = np.random.default_rng(config.seed)
    by_class = [np.flatnonzero(y_train == c) for c in range(clf.n_classes)]
    if any(len(ix) == 0 for ix in by_class):
        raise ValueError("every class needs at least one training sample for the hardware rule")
    t_a, t_b = clf.targets()
    lo, hi = config.control_range
    history_c, history_tr, history_te, evaluated = [control.clone()], [], [], []

    def evaluate(model: ChainClassifier, step: int) -> None:
        evaluated.append(step)
        history_tr.append(model.accuracy(x_train, y_train, chain, generator))
        if x_test is not None:
            history_te.append(model.accuracy(x_test, y_test, chain, generator))

    evaluate(clf, 0)
    steps = range(1, config.steps + 1)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="±ΔI rule", leave=False)
    for step in steps:
        pick = np.array([rng.choice(ix) for ix in by_class])
        out = clf.run(x_train[pick], chain, generator)
        labels = torch.as_tensor(y_train[pick])
        wrong = clf.lut()[out.configuration] != labels
        th = clf.thresholds()
        votes = torch.stack(
            [
                rule_votes(out.switched_a, out.n_a, t_a[labels], wrong, th[..., 0, :]),
                rule_votes(out.switched_b, out.n_b, t_b[labels], wrong, th[..., 1, :]),
            ],
            -2,
        )
        control = (clf.control + config.step_current * torch.sign(votes.to(torch.float64))).clamp(lo, hi)
        clf = clf.with_control(control)
        history_c.append(control.clone())
        if step == config.steps or (eval_every and step % eval_every == 0):
            evaluate(clf, step)
    empty = torch.zeros(0)
    return clf, HardwareHistory(
        torch.stack(history_c), torch.stack(history_tr), torch.stack(history_te) if history_te else empty, torch.tensor(evaluated)
    )
