"""Software training of the chain classifier (``fit_smoothed``): structure search + smoothed fine-tuning.

See the docstring of ``mtjnn.nn.chain_classifier`` for the method.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..validation import check_range
from .chain_model import ChainClassifier, InputMap


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


def lda_projection(z: np.ndarray, y: np.ndarray, k: int, shrinkage: float) -> tuple[np.ndarray, np.ndarray]:
    """Whitened LDA of z-scored features ``z`` (S, F) with labels ``y`` in 0..k-1: the projection (k - 1, F) and
    the class means in that space (k, k - 1); ``shrinkage`` in [0, 1] pulls the within-class covariance toward
    a multiple of the identity."""
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
    proj, means = lda_projection(z, y, k, config.shrinkage)
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
