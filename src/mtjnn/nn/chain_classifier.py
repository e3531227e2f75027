"""Reconfigurable chain classifier of seed 002: linear input map, class -> configuration table, ±ΔI rule.

Model (López et al., Phys. Rev. Applied 22, 014082 (2024)). F features x (Hz) become two input currents
by a linear map, I_A = w_A . x + b_A and I_B = w_B . x + b_B (2F + 2 = 26 coefficients for F = 12);
a ``mtjnn.circuits.series_chain.SeriesChain`` of N junctions (any ``ChainLike``) turns them into a switching configuration (n_A, n_B); a lookup table
gives the class of each configuration (a class may own several; unowned ones are read as the owned cell
nearest in current space, or as errors). Trained parameters: the 26 map coefficients and the 2N control
currents I_C,i^j (32 for N = 3); the 16-entry table is set by counting training samples.

Software training (``fit_smoothed``; the seed's supplement with its map fit is unavailable):
with thresholds theta_i^j = I_sw,i - I_C,i^j, input j's count is the number of junctions with
theta_i^j < I_j, so the thresholds of each input cut its projection into N + 1 levels and the classes
occupy cells of a grid in the (I_A, I_B) plane.
1. z-score the features; two unit directions v_A, v_B (offsets go into the thresholds).
2. Smoothed grid, ``restarts`` candidates in one batch: sorted thresholds per axis (t1, t1 + softplus(d1),
   ...); P(level >= l) = sigmoid(s (u - t_l)); cell probability = outer product of the two axes' level
   probabilities; a learnt cell x class score table through a softmax; cross-entropy; Adam; the sharpness
   s annealed geometrically (1 -> 40; a low final s regularizes). Half the candidates start in the span of
   the top LDA directions (the first exactly LDA1, LDA2), half at random; thresholds start at the
   20/50/80 % quantiles.
3. Exact finish (``chain_exact``): for fixed directions, the training-optimal thresholds of one axis and
   the majority table, given the other axis's levels, are a dynamic program over the sorted projection;
   alternate the axes to a fixed point. Keep the candidate with the best training accuracy (ties: lower
   smoothed loss). ``select_by_validation`` chooses between the exact finish and smoothed fits of lower
   final sharpness by cross-validation inside the training data (the ``strict`` protocol);
   ``refit_thresholds`` re-solves thresholds and table for a fixed map (the ``paper`` protocol).
4. Map each axis affinely onto the current window (``window``, default 300-900 uA for the training
   projections' range); control current = I^_sw - theta.

Hardware rule (``train_hardware``; seed 002: "in each learning step a randomly chosen input of each
category is applied ... if the output configurations fail to classify the inputs, the control currents
I_C,i^j are modified by +10 uA or -10 uA toward reducing misclassification"). Our exact choice:
for every misclassified sample (its configuration not owned by its class) the target (t_A, t_B) is the
cell of its class nearest to it in current space; for each input j whose count n_j differs from t_j:
n_j > t_j -> of the junctions that switched, the n_j - t_j with the highest estimated threshold
theta^_i = I^_sw,i - I_C,i^j vote -1 (raise their threshold); n_j < t_j -> of those that did not, the
t_j - n_j with the lowest theta^_i vote +1. After the K samples of a step, I_C,i^j += 10 uA x
sign(sum of votes), clipped to ``control_range``. I^_sw is the designer's estimate (nominal values),
so the rule only uses what the hardware sees (which junctions switched) and the currents it sets.
"""

from __future__ import annotations

from .chain_model import ChainClassifier, ChainLike, InputMap
from .chain_rule import HardwareHistory, HardwareRuleConfig, rule_votes, train_hardware
from .chain_software import (
    SmoothedReport,
    SmoothedTrainingConfig,
    fit_smoothed,
    level_probability,
    refit_thresholds,
    select_by_validation,
)

__all__ = [
    "ChainClassifier",
    "ChainLike",
    "HardwareHistory",
    "HardwareRuleConfig",
    "InputMap",
    "SmoothedReport",
    "SmoothedTrainingConfig",
    "fit_smoothed",
    "level_probability",
    "refit_thresholds",
    "rule_votes",
    "select_by_validation",
    "train_hardware",
]
