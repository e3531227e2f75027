"""``MTJActivationClassifier`` / ``MTJActivationRegressor``: MLPs whose hidden neurons are sensor MTJs.

scikit-learn estimators around ``mtjnn.nn.analog_mlp.AnalogMLP`` trained by the one loop
``mtjnn.nn.analog_training.fit`` (device-in-the-loop backpropagation, Jenkins et al., arXiv 2603.03947):
each hidden neuron is a sensor junction (``mtjnn.devices.activation``) with device-to-device ``spread``
and ``read_noise``; backward uses the finite-difference derivative measured on each device
(``gradient="fd"``) or the exact derivative of its curve (``"exact"``); ``activation="tanh"`` is the
software network of the same size.

Inputs: the features are standardized with the training mean and standard deviation (``standardize=True``,
the default), so raw features need no scaler. Feature j is then applied as the field
``input_scale * x_j`` (7 mT per unit for the default junction); a sample whose field would exceed
``max_input_field`` (T) is refused with a ValueError naming the feature, at fit and at predict.

Prediction reads the devices once per sample with fresh read noise drawn from a generator seeded by the
fitted seed, so repeated calls on the same data give the same answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..devices.activation import SensorMTJ
from ..nn.analog_mlp import AnalogMLP
from ..nn.analog_training import TrainConfig, fit, predict_outputs
from ..validation import check_range
from ._sklearn import BaseEstimator, ClassifierMixin, check_is_fitted, check_random_state, encode_labels, validate_data

from sklearn.base import RegressorMixin  # noqa: E402 (after ._sklearn, which names the extra when missing)
from sklearn.model_selection import train_test_split  # noqa: E402

PREDICT_READ_SEED_OFFSET = 424_242
"""Read-noise generator of ``predict``: seeded with ``seed_ + PREDICT_READ_SEED_OFFSET``."""


class _MTJActivationBase(BaseEstimator):
    """Shared hyper-parameters, input handling and training of the two estimators."""

    _task = "classification"

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (32,),
        activation: str = "mtj",
        gradient: str = "fd",
        delta: float = 0.1,
        spread: float = 0.05,
        read_noise: float = 0.005,
        max_iter: int = 100,
        batch_size: int = 16,
        learning_rate_init: float = 1e-2,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        standardize: bool = True,
        max_input_field: float = 0.5,
        device: SensorMTJ | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.gradient = gradient
        self.delta = delta
        self.spread = spread
        self.read_noise = read_noise
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.standardize = standardize
        self.max_input_field = max_input_field
        self.device = device
        self.random_state = random_state

    # ---------------------------------------------------------------------------------------- inputs
    def _device(self) -> SensorMTJ:
        return SensorMTJ() if self.device is None else self.device

    def _inputs(self, X: np.ndarray, *, reset: bool) -> torch.Tensor:
        """Standardized float32 inputs of validated X; ``reset`` (in fit) sets the scaling first.
        ValueError if a field would exceed ``max_input_field``."""
        if reset:
            check_range("max_input_field", self.max_input_field, 0.0, 10.0, low_inclusive=False, unit="T")
            if self.standardize:
                self.feature_mean_ = X.mean(axis=0)
                std = X.std(axis=0)
                self.feature_scale_ = np.where(std > 0, std, 1.0)
            else:
                self.feature_mean_ = np.zeros(X.shape[1])
                self.feature_scale_ = np.ones(X.shape[1])
        xs = (X - self.feature_mean_) / self.feature_scale_
        self._check_field(xs)
        return torch.tensor(xs, dtype=torch.float32)

    def _check_field(self, xs: np.ndarray) -> None:
        scale = self._device().input_scale
        if xs.size == 0:
            return
        peak = np.abs(xs).max(axis=0) * scale
        if peak.max() > self.max_input_field:
            j = int(peak.argmax())
            names = getattr(self, "feature_names_in_", None)
            label = f"feature {j}" + (f" ({names[j]!r})" if names is not None else "")
            hint = ("the sample lies far outside the training distribution"
                    if self.standardize else "use standardize=True or a StandardScaler")
            raise ValueError(
                f"{type(self).__name__}: {label} reaches {peak[j]:.3g} T after scaling "
                f"({peak[j] / scale:.3g} x input_scale = {scale * 1e3:.3g} mT), beyond the device's input range "
                f"max_input_field = {self.max_input_field} T; {hint}"
            )

    def _train_config(self, seed: int) -> TrainConfig:
        return TrainConfig(
            hidden=tuple(self.hidden_layer_sizes), activation=self.activation, gradient=self.gradient,
            delta=self.delta, spread=self.spread, read_noise=self.read_noise, epochs=self.max_iter,
            batch_size=self.batch_size, lr=self.learning_rate_init, seed=seed, device=self._device(),
        )

    # -------------------------------------------------------------------------------------- training
    def _fit(self, x: torch.Tensor, y: np.ndarray, n_outputs: int, stratify: np.ndarray | None) -> None:
        """Train on standardized inputs ``x`` and encoded targets ``y``; sets ``model_`` and friends."""
        self.seed_ = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        train = self._train_config(self.seed_)
        y_t = torch.tensor(y)
        validation, patience = None, None
        if self.early_stopping:
            check_range("validation_fraction", self.validation_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
            check_range("n_iter_no_change", self.n_iter_no_change, 1, 1e6)
            idx = np.arange(x.shape[0])
            try:
                tr, va = train_test_split(idx, test_size=self.validation_fraction, random_state=self.seed_, stratify=stratify)
            except ValueError:  # a class too small to stratify: plain random split
                tr, va = train_test_split(idx, test_size=self.validation_fraction, random_state=self.seed_)
            tr, va = torch.as_tensor(tr), torch.as_tensor(va)
            validation, patience = (x[va], y_t[va]), int(self.n_iter_no_change)
            x, y_t = x[tr], y_t[tr]
        res = fit(train, x, y_t, validation=validation, task=self._task, n_outputs=n_outputs, patience=patience)
        self.model_: AnalogMLP = res["best_model"] if validation is not None else res["model"]
        self.history_: dict[str, list[float]] = res["history"]
        self.n_iter_ = len(res["history"]["train_loss"])
        self.best_epoch_ = res["best_val_epoch"] if validation is not None else self.n_iter_

    def _outputs(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "model_")
        x = self._inputs(validate_data(self, X, reset=False, dtype=np.float64), reset=False)
        return predict_outputs(self.model_, x, torch.Generator().manual_seed(self.seed_ + PREDICT_READ_SEED_OFFSET))

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


_PARAMETERS = """
    Parameters:
        hidden_layer_sizes: widths of the hidden layers of MTJ neurons, e.g. (32,) or (64, 32).
        activation: "mtj" (sensor junctions) or "tanh" (software network of the same size).
        gradient: "fd" (finite difference measured on each device) or "exact" (true derivative of each
            device's curve). Ignored for tanh.
        delta: finite-difference step in pre-activation units (the probe field is input_scale * delta).
        spread: relative device-to-device sigma of H_K, TMR, R_P and of the offset field (fraction of H_K).
        read_noise: sigma of every read as a fraction of the full output swing.
        max_iter: training epochs (Adam, cosine learning-rate schedule).
        batch_size, learning_rate_init: mini-batch size and initial Adam learning rate.
        early_stopping: hold out ``validation_fraction`` of the training data (stratified for classifiers),
            keep the epoch of best validation score and stop after ``n_iter_no_change`` epochs without one.
        standardize: z-score the features with the training mean and standard deviation (default True).
        max_input_field: largest input field mu0 H, T, that the field lines may apply; a standardized
            feature beyond max_input_field / input_scale is refused (ValueError).
        device: the nominal ``SensorMTJ`` (None: the default 5 mT / 2 mT / 7 mT-per-unit junction).
        random_state: None, an int or a ``numpy.random.RandomState``; fixes weights, devices, shuffles and
            read noise.

    Fitted attributes: ``n_features_in_`` (``feature_names_in_`` for named columns), ``feature_mean_``,
    ``feature_scale_`` (standardization), ``model_`` (the trained ``AnalogMLP``), ``history_`` (per-epoch
    losses and scores), ``n_iter_`` (epochs run), ``best_epoch_``, ``seed_`` (the torch seed drawn from
    ``random_state``).
"""


class MTJActivationClassifier(ClassifierMixin, _MTJActivationBase):
    __doc__ = ("Classifier: an MLP whose hidden neurons are MTJ activation devices (softmax output).\n"
               + _PARAMETERS + "    Also ``classes_`` (the sorted labels, any sortable hashable type).\n")

    _task = "classification"

    def fit(self, X: Any, y: Any) -> "MTJActivationClassifier":
        """Train on features X (n_samples, n_features) and labels y (n_samples,)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        y_enc = encode_labels(self, y)
        x = self._inputs(X, reset=True)
        self._fit(x, y_enc, len(self.classes_), stratify=y_enc)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), softmax of one noisy read of the network."""
        return torch.softmax(self._outputs(X).double(), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (from ``classes_``)."""
        index = self._outputs(X).argmax(1).numpy()
        return self.classes_[index]

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MTJActivationRegressor(RegressorMixin, _MTJActivationBase):
    __doc__ = ("Regressor: an MLP whose hidden neurons are MTJ activation devices (linear output, mean squared\n"
               "    error; the targets are standardized for training and mapped back).\n"
               + _PARAMETERS + "    Also ``target_mean_``, ``target_scale_``.\n")

    _task = "regression"

    def fit(self, X: Any, y: Any) -> "MTJActivationRegressor":
        """Train on features X (n_samples, n_features) and targets y (n_samples,) or (n_samples, n_targets)."""
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        self._single_output = y.ndim == 1
        self.target_mean_ = y2.mean(axis=0)
        std = y2.std(axis=0)
        self.target_scale_ = np.where(std > 0, std, 1.0)
        x = self._inputs(X, reset=True)
        self._fit(x, ((y2 - self.target_mean_) / self.target_scale_).astype(np.float32), y2.shape[1], stratify=None)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, (n_samples,) or (n_samples, n_targets) as in fit."""
        out = self._outputs(X).double().numpy() * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._single_output else out

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
