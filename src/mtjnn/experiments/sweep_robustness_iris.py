"""`mtjnn sweep robustness iris`: a trained MTJ-activation MLP deployed on many chips with device spread sigma.

The Iris network of ``mtjnn run iris`` (4 z-scored features -> 4 sensor-MTJ neurons -> 3 classes, Adam,
200 epochs, batch 8, learning rate 1e-2, device-in-the-loop finite-difference gradients) is trained ONCE on
nominal devices (no spread; the design) on fold 0 of the stratified 5-fold split of ``seed`` (120 train /
30 test). Each device draw is then a new chip: every hidden junction gets its own H_K, TMR and R_P ~
nominal x (1 + sigma N(0, 1)) and offset field ~ N(0, (sigma H_K)^2) (``devices.activation.Variability.
uniform(sigma)`` through ``draw_devices``, the variability model the network is trained with), and the trained
weights are deployed unchanged. Every read carries the read noise the network was trained with.

All ``draws`` chips of a point are evaluated in ONE batched pass: the hidden layer of width h is a row of
draws x h junctions (``MTJActivation``), fed the same pre-activations. The sensor junction has no thermal
model (its curve is the Stoner-Wohlfarth equilibrium), so temperature is not a sweep axis for this task.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ..data.iris import load_iris
from ..devices.activation import MTJActivation, Variability, draw_devices
from ..nn.analog_training import TrainConfig, evaluate, fit
from .activation_training import IrisConfig, iris_folds

#: Largest sigma: at 0.2 a parameter below 5 % of nominal (``variability.spread`` refuses it) is a 4.75-sigma
#: event, rare even over thousands of junctions; at the model's own limit 0.3 it would be common.
MAX_SIGMA = 0.2
FOLDS = 5


def iris_training(seed: int, read_noise: float, epochs: int | None = None) -> TrainConfig:
    """The ``mtjnn run iris`` network and training, on nominal devices, with ``read_noise`` and ``seed``."""
    base = IrisConfig().train
    return dataclasses.replace(base, spread=0.0, read_noise=read_noise, seed=seed, epochs=epochs or base.epochs)


def train_iris_mlp(seed: int, read_noise: float, epochs: int | None = None) -> dict[str, Any]:
    """Train once (module docstring): the model, the z-scored test split and its nominal test accuracy."""
    data = load_iris()
    tr, te = iris_folds(data.y, FOLDS, seed)[0]
    mu, sd = data.x[tr].mean(0), data.x[tr].std(0)
    x = torch.tensor((data.x - mu) / sd, dtype=torch.float32)
    y = torch.tensor(data.y)
    train = iris_training(seed, read_noise, epochs)
    model = fit(train, x[tr], y[tr])["model"]
    _, nominal = evaluate(model, x[te], y[te], torch.Generator().manual_seed(seed))
    return {"model": model, "x": x[te], "y": y[te], "nominal_accuracy": float(nominal), "train": train}


@torch.no_grad()
def iris_accuracy_draws(trained: dict[str, Any], draws: int, sigma: float, seed: int) -> np.ndarray:
    """(draws,) test accuracies of ``draws`` chips with relative device spread ``sigma`` (one batched pass).

    Draw d's junction j of a layer of width h is element d h + j of that layer's ``draw_devices`` row."""
    if not 0.0 <= sigma <= MAX_SIGMA:
        raise ValueError(f"sigma = {sigma!r}; allowed: [0, {MAX_SIGMA}] for iris (module sweep_robustness_iris)")
    model = trained["model"]
    cfg = model.config
    gen = torch.Generator().manual_seed(seed)
    variability = Variability.uniform(sigma, cfg.variability.read_noise)
    x = trained["x"][:, None, :].expand(-1, draws, -1)  # (B, D, F)
    for lin in model.linears[:-1]:
        z = lin(x)  # (B, D, h)
        act = MTJActivation(draw_devices(cfg.device, variability, draws * z.shape[-1], gen), variability.read_noise, cfg.fidelity)
        x = act.response(z.reshape(z.shape[0], -1), gen).reshape(z.shape)
    logits = model.linears[-1](x)  # (B, D, classes)
    return (logits.argmax(-1) == trained["y"][:, None]).double().mean(0).numpy()
