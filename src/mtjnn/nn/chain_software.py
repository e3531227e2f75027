"""Software training of the chain classifier (``fit_smoothed``): smoothed grid, restarts, exact finish.

See the docstring of ``mtjnn.nn.chain_classifier`` for the method.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch

from ..validation import check_range
from .chain_exact import grid_solution, solve_exact
from .chain_model import ChainClassifier, InputMap


@dataclass(frozen=True)
class SmoothedTrainingConfig:
    """Settings of ``fit_smoothed`` (module docstring of ``chain_classifier``); currents in A.

    restarts: candidates trained in one batch (half from LDA directions, half random); iterations of
    full-batch Adam at ``lr``; sharpness s of the level sigmoids annealed geometrically from
    ``sharpness[0]`` to ``sharpness[1]`` (1/s in units of the standardized projection; a low final
    sharpness regularizes); ``exact_top`` candidates with the lowest smoothed loss get the exact
    threshold/table solve; ``search_steps`` of (1+1) random search on the directions after it (0 = none;
    for fits on all data); ``shrinkage`` of the LDA used for the starts; ``window``: the training
    projections' ``window_quantiles`` are mapped onto this current range (A).
    """

    restarts: int = 48
    iterations: int = 1000
    lr: float = 0.03
    sharpness: tuple[float, float] = (1.0, 40.0)
    exact_top: int = 12
    exact: bool = True
    search_steps: int = 0
    search_scale: float = 0.05
    shrinkage: float = 0.1
    window: tuple[float, float] = (300e-6, 900e-6)
    window_quantiles: tuple[float, float] = (0.0, 1.0)
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("restarts", self.restarts, 2, 100_000)
        check_range("iterations", self.iterations, 0, 1_000_000)
        check_range("lr", self.lr, 0.0, 10.0, low_inclusive=False)
        check_range("sharpness", self.sharpness, 0.0, 1e4, low_inclusive=False)
        if self.sharpness[1] < self.sharpness[0]:
            raise ValueError(f"sharpness = {self.sharpness!r}; allowed: (start, end) with 0 < start <= end")
        check_range("exact_top", self.exact_top, 1, self.restarts)
        check_range("search_steps", self.search_steps, 0, 1_000_000)
        check_range("search_scale", self.search_scale, 0.0, 10.0, low_inclusive=False)
        check_range("shrinkage", self.shrinkage, 0.0, 1.0)
        lo, hi = self.window
        check_range("window", self.window, -0.1, 0.1, unit="A")
        if not lo < hi:
            raise ValueError(f"window = {self.window!r}; allowed: (low, high) with low < high, in A")
        qlo, qhi = self.window_quantiles
        if not 0.0 <= qlo < qhi <= 1.0:
            raise ValueError(f"window_quantiles = {self.window_quantiles!r}; allowed: 0 <= low < high <= 1")


class SmoothedReport(NamedTuple):
    """What ``fit_smoothed`` found: the chosen candidate's smoothed loss and exact training accuracy, the
    exact accuracies of the finished candidates, and the table (class per configuration)."""

    loss: float
    train_accuracy: float
    candidate_losses: list[float]
    candidate_accuracies: list[float]
    table: list[int]


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


def level_probability(u: torch.Tensor, thresholds: torch.Tensor, sharpness: float) -> torch.Tensor:
    """P(level = l) (..., L) of projections u (...) for sorted thresholds (..., L - 1): sigmoid edges of slope s."""
    above = torch.sigmoid(sharpness * (u[..., None] - thresholds))  # P(level >= l), l = 1..L-1
    one, zero = torch.ones_like(above[..., :1]), torch.zeros_like(above[..., :1])
    edges = torch.cat([one, above, zero], -1)
    return edges[..., :-1] - edges[..., 1:]


def _starts(z: np.ndarray, y: np.ndarray, k: int, f: int, config: SmoothedTrainingConfig, gen: torch.Generator) -> torch.Tensor:
    """Initial directions (R, 2, F): the first exactly (LDA1, LDA2), half within the span of the top LDA
    directions, the rest random."""
    r = config.restarts
    proj, _ = lda_projection(z, y, k, config.shrinkage)
    top = torch.as_tensor(proj[: min(4, proj.shape[0])])
    top = top / top.norm(dim=1, keepdim=True)
    n_lda = r // 2
    mix = torch.randn(n_lda, 2, top.shape[0], generator=gen, dtype=torch.float64)
    mix[0] = 0.0
    mix[0, 0, 0] = mix[0, 1, min(1, top.shape[0] - 1)] = 1.0
    lda = mix @ top
    rand = torch.randn(r - n_lda, 2, f, generator=gen, dtype=torch.float64)
    v = torch.cat([lda, rand])
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def _smoothed_fit(zt: torch.Tensor, yt: torch.Tensor, k: int, n: int, v0: torch.Tensor, config: SmoothedTrainingConfig):
    """Train all restarts' directions, thresholds and soft cell tables at once; returns (v, thresholds, loss)."""
    r, levels = v0.shape[0], n + 1
    v = v0.clone().requires_grad_()
    u0 = torch.einsum("sf,rjf->rsj", zt, v0)
    q = torch.linspace(0.2, 0.8, n, dtype=torch.float64) if n > 1 else torch.tensor([0.5], dtype=torch.float64)
    t0 = torch.quantile(u0, q, dim=1).permute(1, 2, 0)  # (R, 2, N)
    first = t0[..., :1].clone().requires_grad_()
    gaps = torch.log(torch.expm1(t0.diff(dim=-1).clamp_min(1e-3))).requires_grad_()
    score = torch.zeros(r, levels * levels, k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([v, first, gaps, score], lr=config.lr)
    s0, s1 = config.sharpness
    loss = torch.zeros(r, dtype=torch.float64)
    for it in range(max(config.iterations, 1)):
        s = s0 * (s1 / s0) ** (it / max(config.iterations - 1, 1))
        th = torch.cat([first, first + torch.cumsum(torch.nn.functional.softplus(gaps), -1)], -1)
        vn = v / v.norm(dim=-1, keepdim=True)
        u = torch.einsum("sf,rjf->rsj", zt, vn)
        pa = level_probability(u[..., 0], th[:, None, 0, :], s)
        pb = level_probability(u[..., 1], th[:, None, 1, :], s)
        cell = (pa[..., :, None] * pb[..., None, :]).flatten(-2)  # (R, S, L^2)
        p = torch.einsum("rsc,rck->rsk", cell, torch.softmax(score, -1))
        loss = -torch.log(p.gather(-1, yt.expand(r, -1)[..., None])[..., 0] + 1e-12).mean(-1)
        if config.iterations == 0:
            break
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        th = torch.cat([first, first + torch.cumsum(torch.nn.functional.softplus(gaps), -1)], -1)
        return (v / v.norm(dim=-1, keepdim=True)).detach(), th.detach(), loss.detach()


def _random_search(z: np.ndarray, y: np.ndarray, k: int, v: np.ndarray, th: np.ndarray, accuracy: float,
                   config: SmoothedTrainingConfig, rng: np.random.Generator):
    """(1+1) search on the directions (2, F), re-solving thresholds and table exactly at every step."""
    for _ in range(config.search_steps):
        trial = v + config.search_scale * rng.standard_normal(v.shape)
        trial /= np.linalg.norm(trial, axis=1, keepdims=True)
        sol = solve_exact(z @ trial.T, y, th, k)
        if sol.accuracy >= accuracy:
            v, th, accuracy = trial, sol.thresholds, sol.accuracy
    return v, th, accuracy


def fit_smoothed(
    features: np.ndarray,
    labels: np.ndarray,
    switching_estimate: tuple[float, ...] | torch.Tensor,
    config: SmoothedTrainingConfig = SmoothedTrainingConfig(),
) -> tuple[ChainClassifier, SmoothedReport]:
    """Train the input map, cell table and control currents in software (``chain_classifier`` docstring).

    features (S, F) in Hz, labels (S,) in 0..K-1, switching_estimate (N,) I_sw of the junctions in A.
    Returns the classifier (spare configurations read as "nearest") and a ``SmoothedReport``.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    est = torch.as_tensor(switching_estimate, dtype=torch.float64).reshape(-1)
    n = int(est.numel())
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"features {x.shape}, labels {y.shape}; allowed: (S, F) and (S,)")
    if not np.isfinite(x).all():
        raise ValueError("features contain NaN or infinite values; allowed: finite frequencies in Hz")
    k = int(y.max()) + 1
    if k < 2 or set(np.unique(y).tolist()) != set(range(k)):
        raise ValueError(f"labels must cover 0..K-1 with K >= 2; got classes {sorted(set(y.tolist()))}")
    if k > (n + 1) ** 2:
        raise ValueError(f"{k} classes need more than the (N+1)^2 = {(n + 1) ** 2} configurations of N = {n} junctions")
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = (x - mu) / sd
    gen = torch.Generator().manual_seed(config.seed)
    zt, yt = torch.as_tensor(z), torch.as_tensor(y)
    v, th, loss = _smoothed_fit(zt, yt, k, n, _starts(z, y, k, z.shape[1], config, gen), config)
    finish = torch.argsort(loss)[: config.exact_top].tolist()
    if config.exact:
        solutions = [solve_exact(z @ v[i].numpy().T, y, th[i].numpy(), k) for i in finish]
    else:  # the smoothed thresholds as trained, the majority table
        solutions = [grid_solution(z @ v[i].numpy().T, y, th[i].numpy(), k) for i in finish]
    accs = [s.accuracy for s in solutions]
    best = max(range(len(finish)), key=lambda j: (accs[j], -float(loss[finish[j]])))
    vb, thb, acc = v[finish[best]].numpy(), solutions[best].thresholds, accs[best]
    if config.search_steps:
        vb, thb, acc = _random_search(z, y, k, vb, thb, acc, config, np.random.default_rng(config.seed))
    u = z @ vb.T
    table = grid_solution(u, y, thb, k).table
    classifier = _to_currents(u, vb, thb, mu, sd, table, est, config)
    report = SmoothedReport(float(loss[finish[best]]), float(acc), [float(loss[i]) for i in finish], accs, table.tolist())
    return classifier, report


def _to_currents(u, v, th, mu, sd, table, est, config: SmoothedTrainingConfig) -> ChainClassifier:
    """Map the projections u = v . z (S, 2) affinely onto the current window; control = I_sw - theta."""
    qlo, qhi = config.window_quantiles
    lo, hi = config.window
    u_lo, u_hi = np.quantile(u, qlo, axis=0), np.quantile(u, qhi, axis=0)
    scale = (hi - lo) / np.maximum(u_hi - u_lo, 1e-12)  # (2,) A per unit of u
    offset = lo - scale * u_lo
    theta = torch.as_tensor(scale[:, None] * th + offset[:, None])  # (2, N) A
    weight = torch.as_tensor(scale[:, None] * v / sd[None, :])  # (2, F) A/Hz
    bias = torch.as_tensor(offset - scale * (v @ (mu / sd)))
    return ChainClassifier(InputMap(weight, bias), est[None, :] - theta, torch.as_tensor(table), est)


def refit_thresholds(classifier: ChainClassifier, features: np.ndarray, labels: np.ndarray) -> ChainClassifier:
    """The training-optimal thresholds and cell table for ``classifier``'s fixed input map (exact solve in
    current space, started from its current thresholds); control = I_sw - theta."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    k = int(y.max()) + 1
    currents = classifier.input_map(x).numpy()
    start = classifier.thresholds().numpy()
    if start.ndim != 2:
        raise ValueError(f"classifier.control has shape {tuple(classifier.control.shape)}; allowed: (2, N) (one chain)")
    sol = solve_exact(currents, y, start, k)
    control = classifier.switching_estimate[None, :] - torch.as_tensor(sol.thresholds)
    return ChainClassifier(classifier.input_map, control, torch.as_tensor(sol.table), classifier.switching_estimate, classifier.spare)


#: Regularization candidates of ``select_by_validation``: (final sharpness, exact finish). The exact finish
#: (final sharpness 40) was never chosen by the inner validation in 10 vowel splits (it overfits 203
#: samples), so by default it is not tried; pass it in ``candidates`` to include it.
REGULARIZATION_CANDIDATES = ((5.0, False), (10.0, False))
#: Settings of the strict protocol's fits (smaller than the defaults: 2 x 3 folds + 1 fits per split).
STRICT_FIT = SmoothedTrainingConfig(restarts=32, iterations=600)


def select_by_validation(
    features: np.ndarray,
    labels: np.ndarray,
    switching_estimate: tuple[float, ...] | torch.Tensor,
    config: SmoothedTrainingConfig = SmoothedTrainingConfig(),
    groups: np.ndarray | None = None,
    folds: int = 3,
    candidates: tuple[tuple[float, bool], ...] = REGULARIZATION_CANDIDATES,
) -> tuple[ChainClassifier, SmoothedReport, dict]:
    """``fit_smoothed`` with its regularization (final sharpness, exact finish or not) chosen by ``folds``-fold
    cross-validation inside the given (training) data, folds by ``groups`` (talkers) when given; then
    refitted on all of it. Returns the classifier, its report and the validation accuracy of every candidate."""
    from .mlp_baseline import inner_folds

    check_range("folds", folds, 2, 100)
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    fold = inner_folds(y, groups, folds, config.seed + 1)
    scores = {}
    for sharp, exact in candidates:
        cand = replace(config, sharpness=(config.sharpness[0], sharp), exact=exact)
        accs = []
        for f in range(folds):
            tr, va = fold != f, fold == f
            if len(np.unique(y[tr])) != int(y.max()) + 1:
                raise ValueError(f"an inner fold leaves a class without training samples; allowed: folds <= {folds - 1}")
            clf, _ = fit_smoothed(x[tr], y[tr], switching_estimate, cand)
            accs.append(_software_accuracy(clf, x[va], y[va]))
        scores[f"sharpness {sharp:g}{', exact' if exact else ''}"] = float(np.mean(accs))
    best = max(range(len(candidates)), key=lambda i: list(scores.values())[i])
    sharp, exact = candidates[best]
    clf, report = fit_smoothed(x, y, switching_estimate, replace(config, sharpness=(config.sharpness[0], sharp), exact=exact))
    return clf, report, {"validation_accuracy": scores, "chosen": list(scores)[best]}


def _software_accuracy(clf: ChainClassifier, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the classifier with ideal junctions that switch exactly at their estimated thresholds."""
    currents = clf.input_map(x)
    th = clf.thresholds()
    n_a = (currents[:, 0:1] > th[0]).sum(-1)
    n_b = (currents[:, 1:2] > th[1]).sum(-1)
    pred = clf.classify(n_a * (clf.n_devices + 1) + n_b, currents)
    return float((pred == torch.as_tensor(y)).to(torch.float64).mean())
