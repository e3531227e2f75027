"""``MTJChainClassifier``: the MTJ-chain classifier of seed 002 as a scikit-learn estimator.

Wraps ``mtjnn.nn.chain_software.fit_smoothed`` (software training of the input map, thresholds and cell
table; features are z-scored and mapped onto the 300-900 uA current window automatically, so no scaler
is needed) and optionally ``mtjnn.nn.chain_rule.train_hardware`` (the ±ΔI rule with devices in the
loop), on a ``mtjnn.circuits.series_chain.SeriesChain`` of ``n_devices`` junctions with the paper's
switching currents (``paper_switching_currents``) in compact or macrospin fidelity.
"""

from __future__ import annotations

import numpy as np
import torch

from ..circuits.series_chain import SeriesChain
from ..devices.junction import paper_switching_currents
from ..devices.mtj import make_mtj
from ..nn.chain_rule import HardwareRuleConfig, train_hardware
from ..nn.chain_software import SmoothedTrainingConfig, fit_smoothed
from ..validation import check_choice, check_range
from ._sklearn import BaseEstimator, ClassifierMixin, check_is_fitted, check_random_state, encode_labels, validate_data

FIDELITIES = ("compact", "macrospin")
TRAININGS = ("software", "hardware")


class MTJChainClassifier(ClassifierMixin, BaseEstimator):
    """Classifier of a chain of ``n_devices`` magnetic tunnel junctions (López et al. 2024, seed 002).

    Two input currents, linear in the features, each switch 0..N junctions; the switching configuration
    (n_A, n_B), one of (N + 1)^2, is read through a class table, so at most (N + 1)^2 classes (16 for N = 3).

    Parameters:
        n_devices: N junctions, with the paper's switching currents (360/440/520 uA, repeated for N > 3).
        fidelity: "compact" (threshold model) or "macrospin" (LLGS junctions calibrated to the same
            thresholds at a 5 ns pulse; prediction then integrates the LLGS equation, ~100x slower).
        temperature: K; 0 = noise-free switching. > 0 makes predictions stochastic (draws from
            ``random_state``).
        training: "software" (``fit_smoothed``) or "hardware" (the software map and table, then the
            control currents learnt from -500 uA by the ±ΔI rule on the chain, ``hardware_steps`` steps of
            ``step_current`` A, as in the paper).
        restarts, iterations: candidates and Adam iterations of the software training.
        random_state: None, an int or a ``numpy.random.RandomState``: seeds training (and thermal draws).

    Fitted attributes: ``classes_``, ``n_features_in_`` (``feature_names_in_`` for named columns),
    ``model_`` (the trained ``mtjnn.nn.chain_model.ChainClassifier``: input map in A/feature unit,
    control currents in A, class table), ``chain_`` (the ``SeriesChain``), ``train_accuracy_`` (training
    accuracy of the software fit with ideal junctions).
    """

    def __init__(
        self,
        n_devices: int = 3,
        fidelity: str = "compact",
        temperature: float = 0.0,
        training: str = "software",
        hardware_steps: int = 80,
        step_current: float = 10e-6,
        restarts: int = 48,
        iterations: int = 1000,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_devices = n_devices
        self.fidelity = fidelity
        self.temperature = temperature
        self.training = training
        self.hardware_steps = hardware_steps
        self.step_current = step_current
        self.restarts = restarts
        self.iterations = iterations
        self.random_state = random_state

    def fit(self, X, y) -> "MTJChainClassifier":
        """Train on features ``X`` (S, F) (any units; scaled into the current window) and labels ``y`` (S,)."""
        check_range("n_devices", self.n_devices, 1, 64)
        check_choice("fidelity", self.fidelity, FIDELITIES)
        check_choice("training", self.training, TRAININGS)
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        X, y = validate_data(self, X, y, dtype=np.float64)
        labels = encode_labels(self, y, (self.n_devices + 1) ** 2)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(2**31 - 1))
        config = SmoothedTrainingConfig(restarts=self.restarts, iterations=self.iterations,
                                        exact_top=min(12, self.restarts), seed=seed)
        i_sw = paper_switching_currents(self.n_devices)
        model, report = fit_smoothed(X, labels, i_sw, config)
        self.chain_ = SeriesChain(make_mtj(self.fidelity, i_sw, temperature=self.temperature))
        self._noise_seed = seed + 1
        if self.training == "hardware":
            rule = HardwareRuleConfig(steps=self.hardware_steps, step_current=self.step_current, seed=seed)
            model, _ = train_hardware(model, self.chain_, X, labels, rule, generator=torch.Generator().manual_seed(seed + 2))
        self.model_ = model
        self.train_accuracy_ = report.train_accuracy
        return self

    def predict(self, X) -> np.ndarray:
        """Class labels (S,) read from the chain's switching configurations for features ``X`` (S, F)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        generator = torch.Generator().manual_seed(self._noise_seed)  # thermal draws: the same for every call
        index = self.model_.predict(X, self.chain_, generator).numpy()
        return self.classes_[index]
