"""Explicit-state stepping of the LLGS equation (JAX-MD style): ``init, step = stepper(params, method)``.

For users who couple a macrospin to something else step by step (a circuit, a controller, a learning
rule) instead of handing ``simulate`` a whole drive waveform:

    init, step = stepper(params, "rk4", batch=B)
    state = init(m0)                                   # LLGState(m) with m (B, 3), unit vectors
    for k in range(n):
        state = step(state, dt, current=i_k, field=b_k)  # current in A, field in T, dt in s

``step`` is a pure function of its arguments (torch, differentiable). The drive may be constant over the
step (one value) or given at the points the scheme samples: ``(at t, at t + dt/2, at t + dt)`` for RK4
(classical, as ``simulate``'s torch stepper, which uses the same ``rk4.rk4_step``); Heun (Stratonovich)
uses the values at t and t + dt and one ``thermal_field`` (B, 3) in T for both of its stages, which the
caller draws (``thermal.thermal_sigma`` gives its standard deviation per junction). The current may also
be a function of the state, ``current(m, stage)``, evaluated at every stage: a circuit around the junction
is then coupled inside the step (``circuits.neuron_circuit`` does so for the macrospin neuron). |m| is renormalized
after each step unless ``renormalize=False``.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import torch

from ..validation import check_choice, check_positive
from .llg import llgs_rhs
from .params import Macrospin
from .rk4 import rk4_step

METHODS = ("rk4", "heun")
DriveValue = float | torch.Tensor
#: a current that depends on the state: ``current(m, stage) -> (B,) | (B, 1)`` in A, called at every stage of
#: the scheme (stage 0: t, 1: t + dt/2, 2: t + dt), e.g. a circuit whose current follows the junction's resistance
CurrentFunction = Callable[[torch.Tensor, int], torch.Tensor]


class LLGState(NamedTuple):
    """Magnetization ``m`` (B, 3), unit vectors."""

    m: torch.Tensor


def _stages(name: str, value: DriveValue | Sequence[DriveValue], shape: tuple[int, ...], like: torch.Tensor) -> list[torch.Tensor]:
    """Drive values at the scheme's three points (t, t + dt/2, t + dt), each broadcastable to ``shape``."""
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    if len(values) not in (1, 3):
        raise ValueError(f"{name} has {len(values)} values; allowed: one (constant over the step) or three (t, t + dt/2, t + dt)")
    tensors = []
    for v in values:
        t = torch.as_tensor(v, dtype=like.dtype, device=like.device)
        if t.ndim == 1 and shape[-1] == 1:  # per-junction scalars (B,) -> (B, 1)
            t = t[:, None]
        try:
            t = torch.broadcast_to(t, shape)
        except RuntimeError:
            raise ValueError(f"{name} has shape {tuple(t.shape)}; allowed: a scalar or broadcastable to {shape}") from None
        tensors.append(t)
    return tensors * 3 if len(tensors) == 1 else tensors


def stepper(params: Macrospin, method: str = "rk4", *, batch: int = 1, dtype: torch.dtype = torch.float64,
            device: torch.device | str = "cpu", renormalize: bool = True) -> tuple[Callable[..., LLGState], Callable[..., LLGState]]:
    """``(init, step)`` for ``batch`` junctions of ``params`` (scalars or per-junction values).

    ``init(m0)``: ``LLGState`` from m0 (B, 3) (normalized). ``step(state, dt, current=0.0, field=0.0,
    thermal_field=None)``: the state after one step of ``dt`` s; ``current`` in A (scalar or (B,)),
    ``field`` in T ((3,) or (B, 3)), each constant or a (t, t + dt/2, t + dt) triple, the current also a
    function ``current(m, stage)`` of the stage's state (``CurrentFunction``); ``thermal_field``
    (B, 3) in T, Heun only.
    """
    check_choice("method", method, METHODS)
    check_positive("batch", batch)
    p = params.resolve(batch, dtype, device)

    def init(m0: torch.Tensor) -> LLGState:
        m0 = torch.as_tensor(m0, dtype=dtype, device=device)
        if m0.shape != (batch, 3):
            raise ValueError(f"m0 has shape {tuple(m0.shape)}; allowed: ({batch}, 3)")
        norm = m0.norm(dim=-1, keepdim=True)
        if not bool((norm > 0).all()):
            raise ValueError("m0 has a zero row; allowed: non-zero vectors (normalized here)")
        return LLGState(m0 / norm)

    def step(state: LLGState, dt: float, current: DriveValue | Sequence[DriveValue] | CurrentFunction = 0.0,
             field: DriveValue | Sequence[DriveValue] = 0.0, thermal_field: torch.Tensor | None = None) -> LLGState:
        check_positive("dt", dt, unit="s")
        m = state.m
        if callable(current):
            def current_at(m_stage: torch.Tensor, k: int) -> torch.Tensor:
                return _stages("current", current(m_stage, k), (m.shape[0], 1), m)[0]
        else:
            currents = _stages("current", current, (m.shape[0], 1), m)

            def current_at(m_stage: torch.Tensor, k: int) -> torch.Tensor:
                return currents[k]
        fields = _stages("field", field, (m.shape[0], 3), m)
        if method == "rk4":
            if thermal_field is not None:
                raise ValueError("thermal_field is given with method = 'rk4'; allowed: method = 'heun' for thermal steps")
            new, _ = rk4_step(lambda s, k: (LLGState(llgs_rhs(s.m, p, fields[k], current_at(s.m, k))), None), state, dt)
            new_m = new.m
        else:  # heun (Stratonovich): one thermal field for predictor and corrector
            d1 = llgs_rhs(m, p, fields[0], current_at(m, 0), thermal_field)
            predictor = m + dt * d1
            d2 = llgs_rhs(predictor, p, fields[2], current_at(predictor, 2), thermal_field)
            new_m = m + 0.5 * dt * (d1 + d2)
        if renormalize:
            new_m = new_m / new_m.norm(dim=-1, keepdim=True)
        return LLGState(new_m)

    return init, step
