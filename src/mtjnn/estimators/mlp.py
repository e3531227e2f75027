"""``MLPBaselineClassifier``: the small-MLP baselines of seed 002 as a scikit-learn estimator.

Wraps ``mtjnn.nn.mlp_baseline.train_mlp`` (z-scored inputs, tanh hidden layer, softmax, full-batch Adam,
L2 penalty and stopping epoch chosen by inner cross-validation on the training data, batched restarts).
``hidden=1`` and ``hidden=2`` are the paper's 27- and 47-parameter networks for 12 features, 7 classes.
"""

from __future__ import annotations

import numpy as np

from ..nn.mlp_baseline import MLPConfig, mlp_logits, train_mlp
from ._sklearn import BaseEstimator, ClassifierMixin, check_is_fitted, check_random_state, encode_labels, validate_data


class MLPBaselineClassifier(ClassifierMixin, BaseEstimator):
    """A F-``hidden``-K perceptron trained as the seed-002 baseline (``mtjnn.nn.mlp_baseline``).

    Parameters (see ``MLPConfig``): hidden units; at most ``epochs`` of Adam at ``lr``; ``weight_decays``
    the L2 penalties tried; ``inner_folds`` folds of the inner cross-validation choosing penalty and
    stopping epoch (0 = none: a single penalty, all epochs); ``restarts`` initialisations;
    ``record_every`` epochs between candidate stopping points; ``random_state`` seeds initialisations
    and folds (None, an int or a ``numpy.random.RandomState``).

    Fitted attributes: ``classes_``, ``n_features_in_`` (``feature_names_in_`` for named columns),
    ``first_layer_`` / ``output_layer_`` (weights of the kept network, with the input normalization),
    ``weight_decay_`` and ``stopped_epoch_`` (what the inner cross-validation chose), ``n_parameters_``,
    ``train_accuracy_``.
    """

    def __init__(
        self,
        hidden: int = 2,
        epochs: int = 2000,
        lr: float = 3e-2,
        weight_decays: tuple[float, ...] = (0.0, 1e-4, 1e-3),
        inner_folds: int = 3,
        restarts: int = 6,
        record_every: int = 100,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decays = weight_decays
        self.inner_folds = inner_folds
        self.restarts = restarts
        self.record_every = record_every
        self.random_state = random_state

    def fit(self, X, y) -> "MLPBaselineClassifier":
        """Train on features ``X`` (S, F) and labels ``y`` (S,) (any hashable labels)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        labels = encode_labels(self, y)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        config = MLPConfig(hidden=self.hidden, epochs=self.epochs, lr=self.lr, weight_decays=tuple(self.weight_decays),
                           inner_folds=self.inner_folds, restarts=self.restarts, record_every=self.record_every, seed=seed)
        result = train_mlp(X, labels, config=config, n_classes=len(self.classes_))
        self.first_layer_, self.output_layer_ = result.first_layer, result.output_layer
        self.weight_decay_, self.stopped_epoch_ = result.weight_decay, result.stopped_epoch
        self.n_parameters_, self.train_accuracy_ = result.n_parameters, result.train_accuracy
        return self

    def _logits(self, X) -> np.ndarray:
        """Logits (S, K) of the kept network (float64)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return mlp_logits(self.first_layer_, self.output_layer_, X)

    def predict_proba(self, X) -> np.ndarray:
        """Softmax class probabilities (S, K), columns in the order of ``classes_``."""
        z = self._logits(X)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Class labels (S,): the largest logit."""
        index = self._logits(X).argmax(axis=1)
        return self.classes_[index]
