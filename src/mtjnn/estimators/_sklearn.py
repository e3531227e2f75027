"""scikit-learn, the optional dependency of ``mtjnn.estimators`` (extra ``sklearn``), with a clear error when missing."""

from __future__ import annotations

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "mtjnn.estimators needs scikit-learn >= 1.6 (missing or too old: "
        f"{err}); install it with: pip install 'mtjnn[sklearn]'"
    ) from err

import numpy as np

__all__ = ["BaseEstimator", "ClassifierMixin", "check_is_fitted", "check_random_state", "encode_labels", "validate_data"]


def encode_labels(estimator: BaseEstimator, y: np.ndarray, max_classes: int | None = None) -> np.ndarray:
    """Set ``estimator.classes_`` (sorted unique labels, any hashable type numpy can sort) and return the
    labels as indices 0..K-1. Raises ValueError for fewer than 2 classes or more than ``max_classes``."""
    check_classification_targets(y)
    classes, encoded = np.unique(y, return_inverse=True)
    name = type(estimator).__name__
    if classes.size < 2:
        raise ValueError(f"{name} needs samples of at least 2 classes; got 1 class ({classes[0]!r})")
    if max_classes is not None and classes.size > max_classes:
        raise ValueError(f"{name}: y has {classes.size} classes; allowed: at most {max_classes} with these settings")
    estimator.classes_ = classes
    return encoded.astype(np.int64)
