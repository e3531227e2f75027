"""Chain classifier of seed 002: the ±10 uA learning rule on hand-made cases, software training, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from mtjnn.circuits.series_chain import SeriesChain
from mtjnn.devices.mtj import MTJ, CompactSwitching
from mtjnn.nn.chain_classifier import (
    ChainClassifier,
    HardwareRuleConfig,
    InputMap,
    SmoothedTrainingConfig,
    count_distribution,
    fit_smoothed,
    groupings,
    rule_votes,
    train_hardware,
)

UA = 1e-6


def _one_junction(control_ua: float) -> tuple[ChainClassifier, SeriesChain]:
    """Two classes, one junction with I_sw = 0; the feature (Hz) is the input current in uA on both inputs.

    Class 0 -> configuration (0, 0) (no switching), class 1 -> (1, 1) (switching on both inputs);
    the input threshold is -I_C.
    """
    imap = InputMap(torch.tensor([[UA], [UA]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    clf = ChainClassifier(imap, torch.full((2, 1), control_ua * UA), torch.tensor([0, 3]), torch.tensor([0.0]))
    return clf, SeriesChain(MTJ(CompactSwitching(i_sw=(0.0,))))


def test_rule_raises_control_when_a_class1_sample_does_not_switch():
    clf, chain = _one_junction(-500.0)  # threshold 500 uA
    x = np.array([[300.0], [450.0]])  # class 0 at 300 uA (correct), class 1 at 450 uA (missed)
    y = np.array([0, 1])
    new, hist = train_hardware(clf, chain, x, y, HardwareRuleConfig(steps=1, initial_control=None))
    assert torch.allclose(new.control, torch.full((2, 1), -490 * UA, dtype=torch.float64))  # +10 uA on both inputs: threshold 490 uA
    assert hist.control.shape == (2, 2, 1) and hist.train_accuracy.tolist() == [0.5, 0.5]


def test_rule_lowers_control_when_a_class0_sample_switches():
    clf, chain = _one_junction(-500.0)
    x = np.array([[520.0], [700.0]])  # class 0 at 520 uA switches (wrong), class 1 at 700 uA (correct)
    new, _ = train_hardware(clf, chain, x, np.array([0, 1]), HardwareRuleConfig(steps=1, initial_control=None))
    assert torch.allclose(new.control, torch.full((2, 1), -510 * UA, dtype=torch.float64))


def test_rule_converges_between_the_classes_and_then_stops():
    clf, chain = _one_junction(-800.0)  # threshold 800 uA: class 1 at 600-650 uA never switches
    x = np.array([[300.0], [350.0], [600.0], [650.0]])
    y = np.array([0, 0, 1, 1])
    new, hist = train_hardware(clf, chain, x, y, HardwareRuleConfig(steps=40, initial_control=None, seed=1))
    threshold = -float(new.control[0, 0]) / UA
    assert 350.0 <= threshold < 600.0 and float(hist.train_accuracy[-1]) == 1.0
    steps_moved = (hist.control.diff(dim=0).abs() > 0).any(-1).any(-1)
    assert int(steps_moved.sum()) == round((800 - threshold) / 10)  # moved once per step until correct, then never
    assert not bool(steps_moved[int(steps_moved.nonzero().max()) + 1 :].any())


def test_votes_rank_junctions_by_estimated_threshold():
    th = torch.tensor([100.0, 300.0, 200.0])
    cases = [
        # (switched, target, expected votes)
        ([True, True, True], 1, [0, -1, -1]),  # two too many: the two highest thresholds switched wrongly
        ([False, False, False], 2, [1, 0, 1]),  # two missing: the two lowest thresholds should switch
        ([False, True, False], 0, [0, -1, 0]),  # a stochastic switch of the 300 uA junction
        ([True, False, False], 3, [0, 1, 1]),
        ([True, True, False], 2, [0, 0, 0]),  # right count on this input: no vote
    ]
    for switched, target, expected in cases:
        sw = torch.tensor([switched])
        votes = rule_votes(sw, sw.sum(-1), torch.tensor([target]), torch.tensor([True]), th)
        assert votes.tolist() == expected, (switched, target)
    sw = torch.tensor([[True, True, True]])
    assert rule_votes(sw, sw.sum(-1), torch.tensor([1]), torch.tensor([False]), th).tolist() == [0, 0, 0]


def test_votes_are_summed_over_a_step_and_only_their_sign_counts():
    # N = 2, thresholds 400 and 600 uA on both inputs; classes -> cells (n_A, n_B) = (0,0), (1,1), (2,0)
    imap = InputMap(torch.tensor([[UA, 0.0], [0.0, UA]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    clf = ChainClassifier(imap, torch.tensor([[-400 * UA, -600 * UA]] * 2), torch.tensor([0, 4, 6]), torch.tensor([0.0, 0.0]))
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=(0.0, 0.0))))
    x = np.array([[450.0, 100.0], [500.0, 500.0], [650.0, 100.0]])
    y = np.array([0, 1, 2])
    # class 0: n_A = 1 > 0 -> junction 0 (400 uA) -1 on A. class 1: n_A, n_B = 1, 1 correct.
    # class 2: (2, 0) correct. Net: junction 0 on input A moves -10 uA, nothing else.
    new, _ = train_hardware(clf, chain, x, y, HardwareRuleConfig(steps=1, initial_control=None))
    delta = (new.control - clf.control) / UA
    assert torch.allclose(delta, torch.tensor([[-10.0, 0.0], [0.0, 0.0]], dtype=torch.float64))


def test_control_currents_are_clipped():
    clf, chain = _one_junction(-500.0)
    cfg = HardwareRuleConfig(steps=5, initial_control=None, control_range=(-520 * UA, -495 * UA))
    new, _ = train_hardware(clf, chain, np.array([[300.0], [100.0]]), np.array([0, 1]), cfg)
    assert float(new.control.max()) == pytest.approx(-495 * UA)


def test_groupings_and_count_distribution():
    assert groupings(3, 2).shape[0] == 4  # all-in-one + 3 two-bin splits up to reversal
    assert groupings(7, 4).shape[0] == 5167
    p = torch.tensor([[0.2, 0.7, 0.5]], dtype=torch.float64)
    dist = count_distribution(p)[0]
    brute = torch.zeros(4, dtype=torch.float64)
    for bits in itertools.product((0, 1), repeat=3):
        brute[sum(bits)] += np.prod([p[0, i] if b else 1 - p[0, i] for i, b in enumerate(bits)])
    assert torch.allclose(dist, brute)


def test_software_training_separates_a_grid_of_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [0, 3], [3, 0], [3, 3], [6, 6]], dtype=float) * 100 + 1000  # Hz
    x = np.concatenate([c + 20 * rng.standard_normal((30, 2)) for c in centers])
    y = np.repeat(np.arange(5), 30)
    clf, report = fit_smoothed(x, y, (200e-6, 0.0), SmoothedTrainingConfig(iterations=150, n_candidates=4))
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=(200e-6, 0.0))))
    assert float(clf.accuracy(x, y, chain)) == 1.0 and report.train_accuracy == 1.0
    assert clf.n_parameters == 2 * 2 + 2 + 2 * 2
    currents = clf.input_map(x)
    assert float(currents.min()) > 200e-6 and float(currents.max()) < 1000e-6  # mapped into the 300-900 uA window


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: InputMap(torch.zeros(3, 12), torch.zeros(2)), "allowed"),
        (lambda: ChainClassifier(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(2, 2), torch.tensor([0, 0]),
                                 torch.zeros(2)), "distinct"),
        (lambda: ChainClassifier(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(3, 2), torch.tensor([0, 1]),
                                 torch.zeros(2)), "control has shape"),
        (lambda: ChainClassifier(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(2, 1), torch.tensor([0, 9]),
                                 torch.zeros(1)), "distinct"),
        (lambda: SmoothedTrainingConfig(window=(900e-6, 300e-6)), "window"),
        (lambda: SmoothedTrainingConfig(temperature_end=5.0), "temperature_end"),
        (lambda: HardwareRuleConfig(step_current=-1e-5), "step_current"),
        (lambda: HardwareRuleConfig(initial_control=1.0), "initial_control"),
        (lambda: fit_smoothed(np.zeros((10, 2)), np.arange(10) % 5, (0.0,)), "configurations"),
        (lambda: fit_smoothed(np.zeros((10, 2)), np.arange(10) % 2 + 1, (0.0, 0.0)), "labels"),
        (lambda: InputMap(torch.zeros(2, 3), torch.zeros(2))(np.zeros((4, 2))), "features has shape"),
    ],
)
def test_bad_input_gives_a_clear_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_chain_with_a_different_number_of_junctions_is_rejected():
    clf, _ = _one_junction(-500.0)
    with pytest.raises(ValueError, match="junctions"):
        clf.predict(np.zeros((2, 1)), SeriesChain())


def test_spare_configurations_read_as_the_nearest_class_only_on_request():
    clf, _ = _one_junction(-500.0)  # cells 0 -> (0, 0), 1 -> (1, 1) of a 2 x 2 table
    assert clf.lut().tolist() == [0, -1, -1, 1]
    assert clf.n_parameters == 2 * 1 + 2 + 2
    from dataclasses import replace

    assert replace(clf, spare="nearest").lut().tolist() == [0, -1, -1, 1]  # (0,1), (1,0) are ties
    imap = InputMap(torch.zeros(2, 1, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    three = ChainClassifier(imap, torch.zeros(2, 3), torch.tensor([0, 10]), torch.zeros(3), spare="nearest")
    lut = three.lut().reshape(4, 4)  # cells (0, 0) and (2, 2)
    assert lut[0, 0] == 0 and lut[2, 2] == 1 and lut[3, 3] == 1 and lut[0, 1] == 0 and lut[3, 0] == -1 and lut[1, 1] == -1
    assert ChainClassifier(imap, torch.zeros(2, 3), torch.tensor([0, 10]), torch.zeros(3)).lut().reshape(4, 4)[3, 3] == -1
    with pytest.raises(ValueError, match="spare"):
        ChainClassifier(imap, torch.zeros(2, 3), torch.tensor([0, 5]), torch.zeros(3), spare="guess")
