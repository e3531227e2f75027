"""scikit-learn estimators (``mtjnn.estimators``), the formant loader's repetition/group options, train_mlp
without a test set, and the ChainLike protocol name."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mtjnn.data.vowels import load_vowels  # noqa: E402
from mtjnn.estimators import MLPBaselineClassifier, MTJChainClassifier  # noqa: E402
from mtjnn.nn.mlp_baseline import MLPConfig, mlp_logits, train_mlp  # noqa: E402


def small_chain(**kw) -> MTJChainClassifier:
    return MTJChainClassifier(**{"restarts": 4, "iterations": 60, "random_state": 0, **kw})


def small_mlp(**kw) -> MLPBaselineClassifier:
    return MLPBaselineClassifier(**{"hidden": 4, "epochs": 200, "record_every": 50, "inner_folds": 0,
                                    "weight_decays": (0.0,), "restarts": 2, "random_state": 0, **kw})


# every applicable check passes; none is expected to fail (check_array_api_input skips itself without SCIPY_ARRAY_API)
@parametrize_with_checks([small_chain(), small_mlp()])
def test_sklearn_conformance(estimator, check) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.mark.parametrize("make", [small_chain, small_mlp])
def test_pipeline_with_and_without_scaler(make, iris) -> None:
    x, y = iris
    bare = make().fit(x, y)
    scaled = make_pipeline(StandardScaler(), make()).fit(x, y)
    assert bare.score(x, y) > 0.9 and scaled.score(x, y) > 0.9


def test_cross_val_and_grid_search(iris) -> None:
    x, y = iris
    scores = cross_val_score(small_chain(), x, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(small_chain(), {"n_devices": [2, 3]}, cv=3).fit(x, y)
    assert grid.best_params_["n_devices"] in (2, 3) and grid.best_score_ > 0.8


@pytest.mark.parametrize("make", [small_chain, small_mlp])
def test_string_labels(make, iris) -> None:
    x, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    model = make().fit(x, names)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert set(model.predict(x)) <= set(model.classes_) and model.score(x, names) > 0.9


def test_pandas_input(iris) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    x, y = iris
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    model = small_chain().fit(frame, pd.Series(y))
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match="feature names"):
        bare = model.predict(x)
    np.testing.assert_array_equal(model.predict(frame), bare)


@pytest.mark.parametrize("make", [small_chain, small_mlp])
def test_set_params_then_fit_reproduces(make, iris) -> None:
    x, y = iris
    a = make().set_params(random_state=7).fit(x, y)
    b = clone(a).fit(x, y)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    if isinstance(a, MTJChainClassifier):
        np.testing.assert_array_equal(a.model_.control.numpy(), b.model_.control.numpy())


@pytest.mark.parametrize("options", [{"training": "hardware", "hardware_steps": 20}, {"fidelity": "macrospin"},
                                     {"temperature": 300.0}])
def test_chain_variants(options, iris) -> None:
    x, y = iris
    model = small_chain(**options).fit(x, y)
    assert model.model_.n_devices == 3 and model.chain_.device.fidelity == model.fidelity
    assert model.score(x, y) > 0.6


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]], [0, 1, 0], "NaN"),
        ([[1.0, 2.0], [2.0, 3.0], [0.0, 1.0]], [1, 1, 1], "at least 2 classes; got 1 class"),
        ([[1.0, 2.0], [2.0, 3.0], [0.0, 1.0]], [0, 1], "inconsistent numbers of samples"),
        ([[1.0, 2.0], [2.0, 3.0]], [0.5, 1.5], "Unknown label type"),
    ],
)
@pytest.mark.parametrize("make", [small_chain, small_mlp])
def test_bad_input(make, x, y, match) -> None:
    with pytest.raises(ValueError, match=match):
        make().fit(np.asarray(x), np.asarray(y))


def test_chain_bad_settings(iris) -> None:
    x, y = iris
    with pytest.raises(ValueError, match="at most 4"):  # (N + 1)^2 = 4 configurations for N = 1
        small_chain(n_devices=1).fit(np.repeat(x, 2, 0)[:150], np.arange(150) % 5)
    with pytest.raises(ValueError, match="fidelity"):
        small_chain(fidelity="spice").fit(x, y)
    model = small_chain().fit(x, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(x[:, :3])


def test_train_mlp_without_test_set(iris) -> None:
    x, y = iris
    config = MLPConfig(hidden=2, epochs=100, record_every=50, weight_decays=(0.0,), inner_folds=0, restarts=2)
    res = train_mlp(x, y, config=config, n_classes=4)
    assert np.isnan(res.test_accuracy) and res.test_curve.size == 0
    assert res.output_layer.weight.shape == (2, 4) and res.n_parameters == 4 * 2 + 2 + 2 * 4 + 4
    np.testing.assert_allclose(np.mean(mlp_logits(res.first_layer, res.output_layer, x).argmax(1) == y), res.train_accuracy)
    with pytest.raises(ValueError, match="both or neither"):
        train_mlp(x, y, x_test=x, config=config)
    with pytest.raises(ValueError, match="n_classes"):
        train_mlp(x, y, config=config, n_classes=2)


CORPUS = """speaker,vowel,f1,f2
a,i,300,2300
a,i,320,2200
a,u,310,900
b,i,280,0
b,i,290,2400
b,u,330,800
c,i,300,2300
c,u,0,850
"""


@pytest.mark.parametrize(("policy", "n", "dropped_rows"), [("all", 5, 1), ("first", 4, 2), ("last", 4, 2), ("mean", 4, 2)])
def test_load_vowels_repetitions_without_group_column(tmp_path, policy, n, dropped_rows) -> None:
    path = tmp_path / "corpus.csv"
    path.write_text(CORPUS)
    data = load_vowels(("i", "u"), group=None, features=("f1", "f2"), path=path, repetitions=policy)
    assert data.n_samples == n and data.dropped_speakers == ("c",) and data.dropped_rows == dropped_rows
    first_a = data.features[0]
    expected = {"all": [300, 2300], "first": [300, 2300], "last": [320, 2200], "mean": [310, 2250]}[policy]
    np.testing.assert_allclose(first_a, expected)
    assert data.speakers.count("b") == 2  # b's incomplete repetition of "i" is never used


def test_load_vowels_group_errors(tmp_path) -> None:
    path = tmp_path / "corpus.csv"
    path.write_text(CORPUS)
    with pytest.raises(ValueError, match="no 'group' column"):
        load_vowels(("i", "u"), features=("f1", "f2"), path=path)
    with pytest.raises(ValueError, match="repetitions"):
        load_vowels(("i", "u"), group=None, features=("f1", "f2"), path=path, repetitions="median")
    packaged = load_vowels()
    assert packaged.n_samples == 259 and packaged.dropped_rows == 0


def test_chain_protocol_is_not_named_like_the_circuit() -> None:
    import mtjnn.nn.chain_classifier as cc
    from mtjnn.circuits.series_chain import SeriesChain
    from mtjnn.devices.mtj import make_mtj

    assert "SeriesChain" not in cc.__all__ and "ChainLike" in cc.__all__
    assert SeriesChain(make_mtj("compact")).n_devices == 3
