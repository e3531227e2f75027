"""Figures of `mtjnn run vowels` (seed 002): confusion matrix, switching map, learning curves, robustness,
LLGS vs Néel–Brown. Each function reads the per-split records (``vowels_records.SplitRecord``) of ``experiments.vowels``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .vowels_records import Crosscheck, SplitRecord


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(per: list[SplitRecord], vowels: tuple[str, ...], path: Path) -> None:
    """Test-set confusion matrix of the chain (±10 uA rule, compact, 0 K), summed over the splits."""
    plt = _plt()
    k = len(vowels)
    mat = np.zeros((k, k + 1), dtype=int)
    for p in per:
        for t, q in zip(p.true_test, p.pred_test):
            mat[t, q if q >= 0 else k] += 1
    fig, ax = plt.subplots(figsize=(6.2, 5))
    ax.imshow(mat, cmap="Blues")
    for i in range(k):
        for j in range(k + 1):
            if mat[i, j]:
                ax.text(j, i, str(mat[i, j]), ha="center", va="center", color="w" if mat[i, j] > mat.max() / 2 else "k", fontsize=8)
    ax.set_xticks(range(k + 1), list(vowels) + ["none"])
    ax.set_yticks(range(k), list(vowels))
    ax.set_xlabel("predicted (none = unassigned configuration)")
    ax.set_ylabel("true vowel")
    acc = np.trace(mat[:, :k]) / mat.sum()
    ax.set_title(f"MTJ chain, test sets of {len(per)} splits: {acc * 100:.1f} %")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_switching_map(config, data, split: tuple[np.ndarray, np.ndarray], rec: SplitRecord, path: Path) -> None:
    """Output class over the (I_A, I_B) plane (compact, 0 K) of split 0's trained chain, with the samples."""
    plt = _plt()
    from matplotlib.colors import ListedColormap

    chain = rec.chain
    w = np.asarray(chain["map_weight_a_per_hz"])
    b = np.asarray(chain["map_bias_a"])
    theta = np.asarray(chain["switching_estimate_a"])[None, :] - np.asarray(chain["control_a"])  # (2, N) A
    currents = data.features @ w.T + b  # (S, 2) A
    n = theta.shape[1]
    lut = np.asarray(chain["table"])
    lo = min(currents.min(), theta.min()) - 50e-6
    hi = max(currents.max(), theta.max()) + 50e-6
    grid = np.linspace(lo, hi, 400)
    ia, ib = np.meshgrid(grid, grid, indexing="xy")
    n_a = (ia[..., None] > theta[0]).sum(-1)
    n_b = (ib[..., None] > theta[1]).sum(-1)
    cls = lut[n_a * (n + 1) + n_b]
    k = data.n_classes
    colors = [plt.cm.tab10(i) for i in range(k)]
    cmap = ListedColormap([(0.85, 0.85, 0.85, 1.0)] + [(*c[:3], 0.35) for c in colors])
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.pcolormesh(grid * 1e6, grid * 1e6, cls + 1, cmap=cmap, vmin=0, vmax=k, shading="auto")
    tr, te = split
    for c in range(k):
        for idx, marker in ((tr, "o"), (te, "^")):
            sel = idx[data.labels[idx] == c]
            ax.scatter(currents[sel, 0] * 1e6, currents[sel, 1] * 1e6, s=14, marker=marker, color=colors[c], edgecolor="k",
                       linewidth=0.3, label=data.vowels[c] if marker == "o" else None)
    for t in theta[0]:
        ax.axvline(t * 1e6, color="k", lw=0.6, ls=":")
    for t in theta[1]:
        ax.axhline(t * 1e6, color="k", lw=0.6, ls=":")
    ax.set_xlim(grid[0] * 1e6, grid[-1] * 1e6)
    ax.set_ylim(grid[0] * 1e6, grid[-1] * 1e6)
    ax.set_xlabel("input I_A (µA)")
    ax.set_ylabel("input I_B (µA)")
    ax.set_title("switching map, paper protocol, ±10 µA rule (split 0; o train, ^ test; grey = unowned)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_learning_curves(per: list[SplitRecord], path: Path) -> None:
    """±10 uA rule: accuracy vs step (mean ± std over splits), control currents of split 0, MLP curves."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    curves = (("paper protocol, train (0 K)", "C0", lambda p: p.protocols["paper"].curve_train),
              ("paper protocol, test (0 K)", "C1", lambda p: p.protocols["paper"].curve_test),
              ("strict protocol, test (0 K)", "C2", lambda p: p.protocols["strict"].curve_test),
              ("paper, test (300 K, rule in the loop)", "C3", lambda p: p.thermal["thermal_curve_test"]))
    for label, color, curve in curves:
        arr = np.array([curve(p) for p in per]) * 100
        m, s = arr.mean(0), arr.std(0)
        steps = np.arange(arr.shape[1])
        ax.plot(steps, m, color=color, label=label)
        ax.fill_between(steps, m - s, m + s, color=color, alpha=0.2)
    ax.set_xlabel("training step (one sample per vowel)")
    ax.set_ylabel("recognition rate (%)")
    ax.set_title(f"±10 µA rule from I_C = -500 µA ({len(per)} splits)")
    ax.legend(fontsize=8)
    ctrl = np.array(per[0].curve_control) * 1e6  # (steps+1, 2, N)
    ax = axes[1]
    for j, ls in ((0, "-"), (1, "--")):
        for i in range(ctrl.shape[2]):
            ax.plot(ctrl[:, j, i], ls=ls, color=f"C{i}", label=f"I_C{i + 1}, input {'AB'[j]}")
    ax.set_xlabel("training step")
    ax.set_ylabel("control current (µA)")
    ax.set_title("control currents, split 0")
    ax.legend(fontsize=7, ncol=2)
    ax = axes[2]
    for protocol, ls in (("paper", "-"), ("strict", ":")):
        for hidden, color in ((1, "C2"), (2, "k")):
            epochs = np.array(per[0].protocols[protocol].mlp_curves[hidden][0])
            arr = np.array([p.protocols[protocol].mlp_curves[hidden][1] for p in per]) * 100
            ax.plot(epochs, arr.mean(0), color=color, ls=ls,
                    label=f"[{protocol}] MLP 12-{hidden}-7 ({per[0].mlp_params[hidden]} params), test")
        ax.axhline(np.mean([p.protocols[protocol].accuracy["rule"].test for p in per]) * 100, color="C1", ls="--" if protocol == "paper" else ":",
                   label=f"[{protocol}] MTJ chain (32 params), test")
    ax.set_xlabel("epoch (full batch)")
    ax.set_ylabel("recognition rate (%)")
    ax.set_title("software baselines")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_robustness(sweeps: dict, path: Path) -> None:
    """Test accuracy vs threshold spread sigma (deployed / re-trained) and vs number of junctions N."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    sig = sorted(sweeps["variability"], key=float)
    for key, label, color in (("deployed", "as designed (no re-training)", "C3"), ("retrained", "re-trained with the ±10 µA rule", "C0")):
        vals = [np.asarray(sweeps["variability"][s][key]) * 100 for s in sig]
        ax1.errorbar([float(s) * 100 for s in sig], [v.mean() for v in vals], yerr=[v.std() for v in vals], marker="o",
                     capsize=3, color=color, label=label)
    ax1.set_xlabel("device-to-device threshold spread sigma (% of the input threshold)")
    ax1.set_ylabel("test recognition rate (%)")
    ax1.set_title("variability (compact, 0 K)")
    ax1.legend(fontsize=8)
    ns = sorted(sweeps["devices"], key=int)
    for key, label, color in (("software", "software fit (paper protocol)", "C2"), ("rule", "±10 µA rule (paper protocol)", "C1")):
        vals = [np.asarray(sweeps["devices"][n][key]) * 100 for n in ns]
        ax2.errorbar([int(n) for n in ns], [v.mean() for v in vals], yerr=[v.std() for v in vals], marker="s", capsize=3,
                     color=color, label=label)
    ax2.set_xticks([int(n) for n in ns])
    ax2.set_xlabel("junctions in the chain N ((N+1)^2 configurations)")
    ax2.set_ylabel("test recognition rate (%)")
    ax2.set_title("chain length")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_crosscheck(cc: Crosscheck, path: Path) -> None:
    """P(switch) vs current: thermal LLGS ensembles (points), fitted Néel–Brown/Gumbel curves, compact width."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    off = np.asarray(cc.offsets_a) * 1e6
    fine = np.linspace(off[0], off[-1], 200)
    for n, (p, fit) in enumerate(zip(cc.p_llgs, cc.fits)):
        p = np.asarray(p)
        ax.errorbar(off, p, yerr=np.sqrt(p * (1 - p) / cc.trials), marker="o", ls="", ms=4, capsize=2, color=f"C{n}",
                    label=f"LLGS junction {n + 1} (Delta = {cc.barrier[n]:.0f}): w = {fit.w_a * 1e6:.1f} µA")
        i50 = (fit.i50_a - cc.i_sw_a[n]) * 1e6
        ax.plot(fine, 1 - np.exp(-np.log(2) * np.exp(np.clip((fine - i50) / (fit.w_a * 1e6), -50, 50))), color=f"C{n}", lw=1)
    w = cc.compact_w_a * 1e6
    ax.plot(fine, 1 - np.exp(-np.log(2) * np.exp(np.clip(fine / w, -50, 50))), "k--",
            label=f"compact Néel–Brown (Delta = {cc.compact_delta:.0f}): w = {w:.1f} µA")
    ax.set_xlabel("I - I_sw (µA)")
    ax.set_ylabel(f"P(switch within {cc.pulse_s * 1e9:.0f} ns) at {cc.temperature_k:.0f} K")
    ax.set_title(f"thermal LLGS vs Néel–Brown ({cc.trials} runs per point)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
