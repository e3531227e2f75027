"""`mtjnn run vowels --analysis`: how far can a chain of 3 MTJs go on these vowels? (exploratory)

``config`` is the run's ``experiments.vowels.VowelsConfig``; the references use its splits.
"""

from __future__ import annotations

import numpy as np

from ..circuits.series_chain import SeriesChain
from ..data.vowels import COMPLETE_37_SUBSETS, VowelData, load_vowels, make_splits
from ..devices.mtj import MTJ, CompactSwitching, paper_switching_currents
from ..nn.chain_software import SmoothedTrainingConfig, fit_smoothed, lda_projection


def ceiling_analysis(config, data: VowelData, splits: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """Exploratory (not the default): software-trained chain test accuracy for every 37-talker vowel set;
    references on the default set: 12-D and 2-D LDA nearest class mean (fitted on the training set), and an
    *oracle* chain fitted on train + test (``fit_smoothed`` with its exact finish), an estimate of the ceiling of the
    2-D chain on these data (it sees the test samples: not a result, a bound)."""
    i_sw = paper_switching_currents(config.n_devices)
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=i_sw, pulse=config.paper_pulse)))
    subsets: dict = {}
    for vowels in COMPLETE_37_SUBSETS:
        d = load_vowels(vowels, config.group, path=config.data_path)
        accs = subsets.setdefault(",".join(vowels), [])
        for i, (tr, te) in enumerate(make_splits(d, config.splits, config.test_fraction, config.seed, config.split_by)):
            soft, _ = fit_smoothed(d.features[tr], d.labels[tr], i_sw, SmoothedTrainingConfig(seed=i))
            accs.append(float(soft.accuracy(d.features[te], d.labels[te], chain)))
    x, y, k = data.features, data.labels, data.n_classes
    ref: dict = {"lda12_nearest_mean_test": [], "lda2_nearest_mean_test": [], "oracle_chain_all": [], "oracle_chain_test": []}
    for i, (tr, te) in enumerate(splits):
        mu, sd = x[tr].mean(0), x[tr].std(0)
        z = (x - mu) / sd
        proj, _ = lda_projection(z[tr], y[tr], k, 0.1)
        for dim, key in ((k - 1, "lda12_nearest_mean_test"), (2, "lda2_nearest_mean_test")):
            u = z @ proj[:dim].T
            means = np.stack([u[tr][y[tr] == c].mean(0) for c in range(k)])
            ref[key].append(float(np.mean(((u[te][:, None] - means[None]) ** 2).sum(-1).argmin(1) == y[te])))
        both = np.concatenate([tr, te])
        oracle, _ = fit_smoothed(x[both], y[both], i_sw, SmoothedTrainingConfig(seed=i))
        ref["oracle_chain_all"].append(float(oracle.accuracy(x[both], y[both], chain)))
        ref["oracle_chain_test"].append(float(oracle.accuracy(x[te], y[te], chain)))
    return {"software_chain_test_by_vowel_set": subsets, "references": ref}
