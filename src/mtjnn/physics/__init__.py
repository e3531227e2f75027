"""Batched macrospin (LLGS) engine: one physical term per file, integrators, closed forms."""

from .drive import Drive, Pulse, Sampled
from .integrate import Crossing, DivergenceError, Trajectory, simulate
from .params import Macrospin
from .stepper import LLGState, stepper

__all__ = ["Crossing", "DivergenceError", "Drive", "LLGState", "Macrospin", "Pulse", "Sampled", "Trajectory", "simulate", "stepper"]
