"""The LIF membrane recurrence over T steps with surrogate-gradient BPTT: a plain torch path and a fused CPU path.

One step, per neuron, u in units of theta_pos (``SignedLIFParams.normalized()``):

    a_t = beta u_{t-1} + gain x_t,   h_t = clamp(a_t, -clip, clip) (no clamp if clip is None),   u_{-1} = 0
    v_t = h_t + n_t                  (read noise n_t, fresh every step; 0 if none: it only affects the test)
    p_t = H(v_t - theta_pos),  q_t = H(-v_t - theta_neg) (signed neuron; q = 0 for the binary LIF)
    s_t = p_t - q_t                  (spike in {-1, 0, +1}; {0, 1} for the binary LIF)
    u_t = h_t (1 - p_t - q_t) + s_t r               ("value" reset to s r; r = 0: hard reset to rest)
    u_t = h_t - p_t theta_pos + q_t theta_neg         ("subtract" reset)

Backward: H'(z) is replaced by the surrogate g of ``surrogate.py``, so ds/dv = g(v - theta_pos) + g(v + theta_neg).
With ``detach_reset`` the reset terms (p_t, q_t, s_t where they multiply h or r) carry no gradient (SpikingJelly's
``detach_reset=True``): the membrane's gradient then flows through time as du_t/dh_t = 1 - |s_t| ("value") or 1
("subtract"). The layers default to detaching it (``spiking_neurons`` has the CIFAR-10 comparison: no accuracy
difference, and a cheaper torch-path backward).

Two paths compute the same function and gradient:
* ``"torch"``: a Python loop over T of torch ops (``lif_step``), autograd through it; any device/dtype, also the
  single-step mode of the layers and the smoothed model (``smooth=True``: S(z) instead of H(z)) of the tests.
* ``"fused"``: ``FusedLIF``, a custom autograd Function over the numba kernels of ``lif_kernel.py`` (forward
  stores a_t; backward recomputes v, p, q and runs the adjoint recurrence of the kernel docstring); CPU,
  float32/float64; the batch x neuron axis is split over ``torch.get_num_threads()`` threads. ``"auto"`` picks
  it when it applies. It works on the tensor's memory order (e.g. channels_last) without copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..threads import run_ranges, thread_count
from ..validation import check_choice, check_positive
from .surrogate import spike

RESETS = ("value", "subtract")
BACKENDS = ("auto", "fused", "torch")
_MIN_WORK_PER_THREAD = 65_536  # element-steps below which the fused kernels stay on the calling thread
_NUMPY = {torch.float32: np.float32, torch.float64: np.float64}


@dataclass(frozen=True)
class LIFDynamics:
    """Constants of the recurrence (module docstring). beta, theta_pos, theta_neg: floats or tensors
    broadcastable to the neuron shape x.shape[2:] (per-neuron device spread). gain > 0; clip: |u| bound or
    None; signed: False gives the binary LIF (theta_neg unused); surrogate_width: w of g (units of theta_pos)."""

    beta: float | torch.Tensor = 0.5
    theta_pos: float | torch.Tensor = 1.0
    theta_neg: float | torch.Tensor = 1.0
    gain: float = 1.0
    reset: str = "value"
    reset_value: float = 0.0
    clip: float | None = None
    signed: bool = True
    detach_reset: bool = True
    surrogate_width: float = 1.0

    def __post_init__(self) -> None:
        check_choice("reset", self.reset, RESETS)
        check_positive("gain", self.gain)
        check_positive("surrogate_width", self.surrogate_width)
        if self.clip is not None:
            check_positive("clip", self.clip)


def check_time_major(x: torch.Tensor, name: str = "x", min_dims: int = 2) -> None:
    """Raise ``ValueError`` unless ``x`` is a (T, B, ...) tensor with T >= 1."""
    if x.ndim < min_dims:
        raise ValueError(f"{name} has shape {tuple(x.shape)}; allowed: (T, B, ...) with at least {min_dims} dims")
    if x.shape[0] < 1:
        raise ValueError(f"T = {x.shape[0]} (time axis of {name}, shape {tuple(x.shape)}); allowed: T >= 1")


# ---------------------------------------------------------------------------------------------- torch
def lif_step(
    x_t: torch.Tensor, u: torch.Tensor | None, dyn: LIFDynamics, noise_t: torch.Tensor | None = None, *, smooth: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step: spikes s_t and membrane u_t for input x_t (B, ...) and the previous membrane u (None: 0)."""
    a = dyn.gain * x_t if u is None else dyn.beta * u + dyn.gain * x_t
    h = a if dyn.clip is None else a.clamp(-dyn.clip, dyn.clip)
    v = h if noise_t is None else h + noise_t
    w = dyn.surrogate_width
    p = spike(v - dyn.theta_pos, w, smooth=smooth)
    if dyn.signed:
        q = spike(-v - dyn.theta_neg, w, smooth=smooth)
        s = p - q
    else:
        q, s = None, p
    if dyn.reset == "subtract":
        jump = p * dyn.theta_pos if q is None else p * dyn.theta_pos - q * dyn.theta_neg
        u_new = h - (jump.detach() if dyn.detach_reset else jump)
    else:
        fired = p if q is None else p + q
        sr = s
        if dyn.detach_reset:
            fired, sr = fired.detach(), s.detach()
        u_new = h * (1.0 - fired) + sr * dyn.reset_value
    return s, u_new


def lif_torch(x: torch.Tensor, dyn: LIFDynamics, noise: torch.Tensor | None = None, *, smooth: bool = False) -> torch.Tensor:
    """Reference path: spikes (T, B, ...) for inputs x (T, B, ...), a Python loop of ``lif_step``."""
    u, out = None, []
    for t in range(x.shape[0]):
        s, u = lif_step(x[t], u, dyn, None if noise is None else noise[t], smooth=smooth)
        out.append(s)
    return torch.stack(out)


# ---------------------------------------------------------------------------------------------- fused
def _memory_order(x: torch.Tensor) -> list[int]:
    """Permutation ``perm`` with x.permute(perm) contiguous and T, B kept first, or [] if there is none."""
    rest = sorted(range(2, x.ndim), key=lambda d: (-x.stride(d), d))
    perm = [0, 1, *rest]
    return perm if x.permute(perm).is_contiguous() else []


def _neuron_array(value: float | torch.Tensor, shape: torch.Size, perm_s: list[int], dtype: torch.dtype) -> np.ndarray:
    """A per-neuron constant as a flat (M,) array in the memory order ``perm_s`` of the neuron shape."""
    t = torch.as_tensor(value, dtype=dtype).detach().cpu().broadcast_to(shape).permute(perm_s)
    return np.ascontiguousarray(t.numpy()).reshape(-1)


def _run_split(kernel, n_cols: int, work: int, args: tuple, tail: tuple) -> None:
    """Run ``kernel(*args, i0, i1, *tail)`` over [0, n_cols) split into contiguous ranges on
    ``torch.get_num_threads()`` threads (the kernels release the GIL; ``mtjnn.threads``)."""
    run_ranges(lambda lo, hi: kernel(*args, lo, hi, *tail), n_cols, thread_count(n_cols, work, _MIN_WORK_PER_THREAD))


class FusedLIF(torch.autograd.Function):
    """Fused forward/backward of ``lif_torch`` (hard spikes) on CPU; call through ``lif_multistep``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, noise: torch.Tensor | None, dyn: LIFDynamics) -> torch.Tensor:  # noqa: D102
        from .lif_kernel import lif_forward

        perm = _memory_order(x)
        if not perm:
            x, perm = x.contiguous(), list(range(x.ndim))
        xp = x.permute(perm)
        shape_p = xp.shape
        n_steps, n_cols = shape_p[0], xp[0].numel()
        xn = xp.detach().reshape(n_steps, n_cols).numpy()
        nt = _NUMPY[x.dtype]
        neuron_shape, perm_s = x.shape[2:], [d - 2 for d in perm[2:]]
        consts = tuple(_neuron_array(getattr(dyn, k), neuron_shape, perm_s, x.dtype) for k in ("beta", "theta_pos", "theta_neg"))
        noise_n = (np.zeros((0, 0), nt) if noise is None
                   else noise.detach().permute(perm).contiguous().reshape(n_steps, n_cols).numpy())
        clip = np.inf if dyn.clip is None else dyn.clip
        scalars = (nt(dyn.gain), nt(dyn.reset_value), nt(clip), dyn.reset == "subtract", dyn.signed)
        s = np.empty((n_steps, n_cols), nt)
        a = np.empty((n_steps, n_cols), nt)
        _run_split(lif_forward, n_cols, n_steps * n_cols, (xn, noise_n, *consts, *scalars), (s, a))
        ctx.save_for_backward(torch.from_numpy(a))
        ctx.fused = (perm, shape_p, noise_n, consts, scalars, dyn)
        inverse = [perm.index(d) for d in range(len(perm))]
        return torch.from_numpy(s).view(shape_p).permute(inverse)

    @staticmethod
    def backward(ctx, grad_s: torch.Tensor):  # noqa: D102
        from .lif_kernel import lif_backward

        (a,) = ctx.saved_tensors
        perm, shape_p, noise_n, consts, scalars, dyn = ctx.fused
        n_steps, n_cols = a.shape
        g = grad_s.permute(perm).contiguous().reshape(n_steps, n_cols).numpy()
        gx = np.empty_like(g)
        args = (g, a.numpy(), noise_n, *consts, *scalars, dyn.detach_reset, float(dyn.surrogate_width))
        _run_split(lif_backward, n_cols, 2 * n_steps * n_cols, args, (gx,))
        inverse = [perm.index(d) for d in range(len(perm))]
        return torch.from_numpy(gx).view(shape_p).permute(inverse), None, None


def fused_applies(x: torch.Tensor) -> bool:
    """Whether the fused path can run ``x``: a CPU float32/float64 tensor."""
    return x.device.type == "cpu" and x.dtype in _NUMPY


def lif_multistep(
    x: torch.Tensor, dyn: LIFDynamics, noise: torch.Tensor | None = None, *, backend: str = "auto", smooth: bool = False,
) -> torch.Tensor:
    """Spikes (T, B, ...) of the recurrence for inputs x (T, B, ...) (units of theta_pos per step), with
    surrogate-gradient BPTT. noise: read noise (T, B, ...) or None. backend: "auto" | "fused" | "torch"
    ("auto": fused on CPU float32/64 unless ``smooth``). smooth: the smoothed model S(z) (torch path only)."""
    check_choice("backend", backend, BACKENDS)
    check_time_major(x)
    use_fused = backend == "fused" or (backend == "auto" and fused_applies(x) and not smooth)
    if use_fused:
        if not fused_applies(x) or smooth:
            raise ValueError(
                f"backend = 'fused' with a {x.device.type} {x.dtype} tensor (smooth = {smooth}); "
                "allowed: CPU float32/float64 tensors with smooth = False, or backend 'torch'/'auto'"
            )
        return FusedLIF.apply(x, noise, dyn)
    return lif_torch(x, dyn, noise, smooth=smooth)
