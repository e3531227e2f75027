"""scikit-learn estimators of mtjnn (top layer; needs the ``sklearn`` extra: pip install 'mtjnn[sklearn]').

``MTJChainClassifier``: the MTJ-chain classifier; ``MLPBaselineClassifier``: its small-MLP baselines;
``MTJActivationClassifier`` / ``MTJActivationRegressor``: MLPs whose hidden neurons are sensor MTJs.
"""

from .activation import MTJActivationClassifier, MTJActivationRegressor
from .chain import MTJChainClassifier
from .mlp import MLPBaselineClassifier

__all__ = [
    "MTJActivationClassifier",
    "MTJActivationRegressor",
    "MLPBaselineClassifier",
    "MTJChainClassifier",
]
