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

from .chain_model import ChainClassifier, InputMap, SeriesChain
from .chain_rule import HardwareHistory, HardwareRuleConfig, rule_votes, train_hardware
from .chain_software import (
    SmoothedReport,
    SmoothedTrainingConfig,
    count_distribution,
    fit_smoothed,
    groupings,
    smoothed_cell_probability,
)

__all__ = [
    "ChainClassifier",
    "HardwareHistory",
    "HardwareRuleConfig",
    "InputMap",
    "SeriesChain",
    "SmoothedReport",
    "SmoothedTrainingConfig",
    "count_distribution",
    "fit_smoothed",
    "groupings",
    "rule_votes",
    "smoothed_cell_probability",
    "train_hardware",
]
