"""Batched macrospin (LLGS) engine: one physical term per file, integrators, closed forms."""

from .drive import Drive, Pulse, Sampled
from .integrate import Crossing, DivergenceError, Trajectory, simulate
from .params import Macrospin

__all__ = ["Crossing", "DivergenceError", "Drive", "Macrospin", "Pulse", "Sampled", "Trajectory", "simulate"]
