"""Fisher's Iris data (150 flowers, 4 features in cm, 3 species), shipped with the package.

Provenance: ``files/iris_PROVENANCE.md`` (Fisher 1936 / UCI, public domain; rows from scikit-learn's copy).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from .paths import packaged_file

FEATURES = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")
CLASSES = ("setosa", "versicolor", "virginica")


@dataclass(frozen=True)
class Iris:
    """x: (150, 4) float64 in cm; y: (150,) int64 class index into ``classes``."""

    x: np.ndarray
    y: np.ndarray
    features: tuple[str, ...] = FEATURES
    classes: tuple[str, ...] = CLASSES
    source: str = "Fisher (1936) via scikit-learn's bundled copy; see data/files/iris_PROVENANCE.md"


def load_iris() -> Iris:
    """Read the packaged ``iris.csv``; checks its shape and labels."""
    path = packaged_file("iris.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if tuple(header) != FEATURES + ("species",) or len(body) != 150:
        raise ValueError(f"{path} is not the packaged Iris file (header {header}, {len(body)} rows; expected 150)")
    x = np.array([[float(v) for v in r[:4]] for r in body], dtype=np.float64)
    y = np.array([CLASSES.index(r[4]) for r in body], dtype=np.int64)
    return Iris(x=x, y=y)
