"""One classical RK4 step over a NamedTuple state, shared by the engine (torch stepper, ``physics.stepper``), the neuron
and the circuit models (torch, differentiable).

The right-hand side is called at the three points of the half-step grid RK4 needs: stage 0 (t),
stage 1 (t + dt/2, twice) and stage 2 (t + dt), so drives sampled on that grid (index 2k + stage)
plug in directly. It returns the state's time derivative (same NamedTuple type) and any auxiliary
value (e.g. the current drawn at that stage), which ``rk4_mean`` averages with the RK4 weights.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, TypeVar

S = TypeVar("S", bound=NamedTuple)


def _shift(state: S, h: float, slope: S) -> S:
    return type(state)(*(x + h * k for x, k in zip(state, slope)))


def rk4_step(rhs: Callable[[S, int], tuple[S, Any]], state: S, dt: float) -> tuple[S, tuple[Any, Any, Any, Any]]:
    """(new state, the four stages' auxiliary values) after one RK4 step of ``dt`` (s) from ``state``.

    ``rhs(state, stage) -> (d state / dt, aux)`` with stage 0, 1, 1, 2 as above.
    """
    k1, a1 = rhs(state, 0)
    k2, a2 = rhs(_shift(state, 0.5 * dt, k1), 1)
    k3, a3 = rhs(_shift(state, 0.5 * dt, k2), 1)
    k4, a4 = rhs(_shift(state, dt, k3), 2)
    new = type(state)(*(x + (dt / 6.0) * (b1 + 2 * b2 + 2 * b3 + b4) for x, b1, b2, b3, b4 in zip(state, k1, k2, k3, k4)))
    return new, (a1, a2, a3, a4)


def rk4_mean(aux: tuple[Any, Any, Any, Any], dt: float) -> Any:
    """Integral over the step of a quantity sampled at the four stages, with the RK4 weights: dt/6 (a1 + 2 a2 + 2 a3 + a4)."""
    a1, a2, a3, a4 = aux
    return (dt / 6.0) * (a1 + 2 * a2 + 2 * a3 + a4)
