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
    fit_smoothed,
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
    clf = ChainClassifier.from_cells(imap, torch.full((2, 1), control_ua * UA), [0, 3], torch.tensor([0.0]), spare="error")
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
    clf = ChainClassifier.from_cells(imap, torch.tensor([[-400 * UA, -600 * UA]] * 2), [0, 4, 6], torch.tensor([0.0, 0.0]))
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


def test_rule_targets_the_nearest_cell_of_the_class_in_current_space():
    # N = 1, thresholds 500 uA on both inputs; class 0 owns (0, 0) and (1, 1), class 1 owns (0, 1)
    imap = InputMap(torch.eye(2, dtype=torch.float64) * UA, torch.zeros(2, dtype=torch.float64))
    table = torch.tensor([0, 1, -1, 0])  # index n_A * 2 + n_B
    clf = ChainClassifier(imap, torch.full((2, 1), -500 * UA), table, torch.tensor([0.0]))
    currents = imap(np.array([[450.0, 520.0], [600.0, 450.0], [100.0, 900.0]]))
    t_a, t_b = clf.targets(currents, torch.tensor([0, 0, 1]))
    # (450, 520) is in (0, 1): class 0's nearest cell is (0, 0) (distance 20 uA on B; (1, 1) is 50 uA away on A)
    # (600, 450) is in (1, 0): (1, 1) is 50 uA away, (0, 0) 100 uA: target (1, 1); class 1 at (100, 900) is in its cell
    assert t_a.tolist() == [0, 1, 0] and t_b.tolist() == [0, 1, 1]
    # the unowned cell (1, 0) reads as its nearest owned cell in current space, or as an error
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=(0.0,))))
    x = np.array([[600.0, 450.0], [900.0, 100.0], [520.0, 100.0]])  # all in (1, 0)
    assert clf.predict(x, chain).tolist() == [0, 0, 0]  # nearest: (1, 1) at 50 / 400 uA, (0, 0) at 100 / 400 / 20 uA
    from dataclasses import replace

    assert replace(clf, spare="error").predict(x, chain).tolist() == [-1, -1, -1]


def test_rule_learns_a_table_with_several_cells_per_class():
    # class 0 on both sides of class 1 along input A: it owns levels 0 and 2 (two cells), class 1 level 1
    imap = InputMap(torch.tensor([[UA], [0.0]], dtype=torch.float64), torch.tensor([0.0, 0.0], dtype=torch.float64))
    table = torch.tensor([0, -1, -1, 1, -1, -1, 0, -1, -1])  # N = 2: (0, 0) -> 0, (1, 0) -> 1, (2, 0) -> 0
    clf = ChainClassifier(imap, torch.full((2, 2), -500 * UA), table, torch.tensor([0.0, 0.0]), spare="error")
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=(0.0, 0.0))))
    x = np.array([[300.0], [350.0], [550.0], [600.0], [800.0], [850.0]])
    y = np.array([0, 0, 1, 1, 0, 0])
    new, hist = train_hardware(clf, chain, x, y, HardwareRuleConfig(steps=60, initial_control=None, seed=0))
    assert float(hist.train_accuracy[0]) < 1.0 and float(hist.train_accuracy[-1]) == 1.0
    th = sorted((-new.control[0] / UA).tolist())
    assert 350 <= th[0] < 550 and 600 <= th[1] < 800


def test_software_training_separates_a_grid_of_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [0, 3], [3, 0], [3, 3], [6, 6]], dtype=float) * 100 + 1000  # Hz
    x = np.concatenate([c + 20 * rng.standard_normal((30, 2)) for c in centers])
    y = np.repeat(np.arange(5), 30)
    clf, report = fit_smoothed(x, y, (200e-6, 0.0), SmoothedTrainingConfig(iterations=200, restarts=8, exact_top=4))
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=(200e-6, 0.0))))
    assert float(clf.accuracy(x, y, chain)) == 1.0 and report.train_accuracy == 1.0
    assert clf.n_parameters == 2 * 2 + 2 + 2 * 2
    currents = clf.input_map(x)
    assert float(currents.min()) == pytest.approx(300e-6) and float(currents.max()) == pytest.approx(900e-6)  # the window


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: InputMap(torch.zeros(3, 12), torch.zeros(2)), "allowed"),
        (lambda: ChainClassifier.from_cells(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(2, 2), [0, 0],
                                            torch.zeros(2)), "distinct"),
        (lambda: ChainClassifier(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(2, 1), torch.tensor([0, -2, 1, 1]),
                                 torch.zeros(1)), "table"),
        (lambda: ChainClassifier(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(3, 2), torch.zeros(9, dtype=torch.int64),
                                 torch.zeros(2)), "control has shape"),
        (lambda: ChainClassifier.from_cells(InputMap(torch.zeros(2, 1), torch.zeros(2)), torch.zeros(2, 1), [0, 9],
                                            torch.zeros(1)), "distinct"),
        (lambda: SmoothedTrainingConfig(window=(900e-6, 300e-6)), "window"),
        (lambda: SmoothedTrainingConfig(sharpness=(5.0, 1.0)), "sharpness"),
        (lambda: fit_smoothed(np.full((10, 2), np.nan), np.arange(10) % 2, (0.0,)), "features"),
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


def test_spare_must_be_a_known_reading():
    imap = InputMap(torch.zeros(2, 1, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="spare"):
        ChainClassifier.from_cells(imap, torch.zeros(2, 3), [0, 5], torch.zeros(3), spare="guess")
