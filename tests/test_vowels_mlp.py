"""MLP baselines of seed 002: parameter counts, inner folds by talker, model selection inside the training set."""

from __future__ import annotations

import numpy as np
import pytest

from mtjnn.nn.mlp_baseline import MLPConfig, inner_folds, mlp_parameter_count, train_mlp


def _blobs(n_per: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four well separated classes in 3-D (+ 1 noise feature), n_per samples each; a 'talker' per sample index."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]], dtype=float)
    x = np.concatenate([c + rng.normal(size=(n_per, 3)) for c in centres])
    x = np.concatenate([x, rng.normal(size=(len(x), 1))], 1)
    y = np.repeat(np.arange(4), n_per)
    talker = np.tile(np.arange(n_per), 4)
    return x, y, talker


def test_parameter_counts_match_the_seed():
    assert mlp_parameter_count(12, 1, 7) == 27 and mlp_parameter_count(12, 2, 7) == 47


def test_inner_folds_keep_talkers_together_and_are_balanced():
    y = np.repeat(np.arange(7), 29)
    talker = np.tile(np.arange(29), 7)
    fold = inner_folds(y, talker, 3, seed=0)
    for t in range(29):
        assert len(set(fold[talker == t].tolist())) == 1  # a talker's vowels share one fold
    assert sorted(np.bincount(fold).tolist()) == [63, 70, 70]
    strat = inner_folds(y, None, 3, seed=0)
    for c in range(7):
        assert sorted(np.bincount(strat[y == c]).tolist()) == [9, 10, 10]
    assert np.array_equal(fold, inner_folds(y, talker, 3, seed=0))


def test_mlp_learns_blobs_and_cross_validation_rejects_a_crushing_penalty():
    x, y, talker = _blobs(30, seed=1)
    xt, yt, _ = _blobs(15, seed=2)
    config = MLPConfig(hidden=2, epochs=300, weight_decays=(0.0, 5.0), inner_folds=3, restarts=3, record_every=50)
    res = train_mlp(x, y, xt, yt, config, groups=talker)
    assert res.n_parameters == mlp_parameter_count(4, 2, 4)
    assert res.weight_decay == 0.0  # a penalty of 5 shrinks the weights to a near-constant output
    assert res.train_accuracy >= 0.95 and res.test_accuracy >= 0.9
    assert res.stopped_epoch in res.epochs.tolist() and len(res.test_curve) == len(res.epochs)
    crushed = train_mlp(x, y, xt, yt, MLPConfig(hidden=2, epochs=300, weight_decays=(5.0,), inner_folds=0, restarts=2))
    assert crushed.weight_decay == 5.0 and crushed.stopped_epoch == 300 and crushed.test_accuracy < 0.6


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"inner_folds": 1}, "inner_folds = 1"),
        ({"inner_folds": 0, "weight_decays": (0.0, 1e-3)}, "needs inner_folds"),
        ({"weight_decays": ()}, "empty"),
        ({"weight_decays": (-1.0,)}, "weight_decays"),
    ],
)
def test_bad_config_gives_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPConfig(**kwargs)


def test_groups_must_match_the_training_set():
    x, y, talker = _blobs(5, seed=0)
    with pytest.raises(ValueError, match="groups"):
        train_mlp(x, y, x, y, MLPConfig(epochs=5, inner_folds=2, restarts=1), groups=talker[:-1])


def test_a_fixed_first_layer_stays_fixed_and_only_the_output_layer_learns():
    from mtjnn.nn.mlp_baseline import FirstLayer

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.3, (30, 2)) for c in ((0, 0), (3, 0), (0, 3))]) * 100 + 1000
    y = np.repeat(np.arange(3), 30)
    layer = FirstLayer(np.array([1000.0, 1000.0]), np.array([100.0, 100.0]), np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))
    res = train_mlp(x, y, x, y, MLPConfig(hidden=2, epochs=300, weight_decays=(0.0,), inner_folds=0, restarts=2), first_layer=layer)
    assert res.train_accuracy > 0.9
    assert np.allclose(res.first_layer.weight, layer.weight) and np.allclose(res.first_layer.mean, layer.mean)
    with pytest.raises(ValueError, match="first_layer"):
        train_mlp(x, y, x, y, MLPConfig(hidden=3, epochs=10, weight_decays=(0.0,), inner_folds=0), first_layer=layer)
