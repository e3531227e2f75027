"""MTJ transfer curve as a smooth, tunable activation function (seed 003, SEEDS_SPEC 4.1).

Sensor-type junction: the free layer has its easy axis along y (anisotropy field mu0 H_K) and a bias
field mu0 H_b along y; the reference layer is magnetized along x (orthogonal). The input enters as a
field along x, ``H_x = input_scale * z + H_off`` (a field line; ``H_off`` is a tuning offset plus the
device's own Neel-coupling offset). In the Stoner-Wohlfarth picture the free-layer angle t from y obeys

    H_K sin t cos t + H_b sin t = H_x cos t,        m_x = sin t

(Stoner & Wohlfarth, Phil. Trans. R. Soc. A 240, 599 (1948)). On the branch connected to the bias
direction (cos t > 0) write u = tan t; then

    psi(u) = H_K u / sqrt(1 + u^2) + H_b u - H_x = 0,       m_x = u / sqrt(1 + u^2),

and psi is strictly increasing, so for H_b > 0 the root is unique and smooth in H_x (no hysteresis):
small-signal slope dm_x/dH_x = 1/(H_K + H_b), and m_x -> H_x / sqrt(H_x^2 + H_b^2) for H_b >> H_K.
For H_b = 0 it is the hard-axis loop m_x = clip(H_x/H_K, -1, 1). (H_b < 0 is bistable; not modelled.)
The root is found by a vectorized Newton iteration on |H_x| started from the lower bound
max(|H_x|/(H_K + H_b), (|H_x| - H_K)/H_b): psi is concave for u > 0, so Newton converges monotonically
(no overshoot, no bracketing needed). The derivative follows from the implicit function theorem,

    dm_x/dH_x = 1 / (H_K + H_b (1 + u^2)^{3/2}).

The junction conductance follows the TMR law with the reference along x (cos(angle) = m_x, SEEDS_SPEC
5.11): G = G_perp + (G_P - G_AP)/2 m_x. The neuron output is that conductance (voltage-biased read,
``readout="conductance"``) or resistance (current-biased read, ``readout="resistance"``, more
curvature), normalized with the *nominal* device so that a nominal junction spans [-1, 1]:

    y = (G - G_perp,0) / ((G_P,0 - G_AP,0)/2)    or    y = (R_mid,0 - R) / ((R_AP,0 - R_P,0)/2).

Tuning knobs: ``bias_field`` (slope and softness of saturation), ``offset_field`` (horizontal shift),
``input_scale`` (gain), ``readout`` (symmetric / asymmetric). A field-line current I gives
mu0 H = k I with k the line's field per ampere, so a bias *current* maps onto these fields.

Two fidelities: ``"compact"`` solves the equilibrium above; ``"macrospin"`` relaxes the LLGS engine
(``physics.simulate``, damping alpha = 1, RK4) from the bias direction until the torque vanishes.
Both give the same curve (tests/test_activation_device.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..constants import GAMMA_E
from ..physics.drive import Drive
from ..physics.integrate import simulate
from ..physics.params import Macrospin
from ..validation import check_choice, check_finite, check_non_negative, check_positive, check_range
from .mtj import tmr_resistance
from .variability import offset_spread, read_noise, spread

READOUTS = ("conductance", "resistance")
MAX_SPREAD = 0.3  # relative sigma above which parameters may change sign


@dataclass(frozen=True)
class SensorMTJ:
    """Nominal sensor-type junction (SI units; fields are mu0 H in tesla).

    Attributes:
        hk: free-layer anisotropy field mu0 H_K along y, T (> 0). Default 5 mT.
        bias_field: bias field mu0 H_b along the easy axis y, T (>= 0). Default 2 mT.
        offset_field: tuning field along x added to the input, T (finite). Default 0.
        input_scale: field per unit of pre-activation, T (> 0). Default 7 mT = H_K + H_b, which gives
            the nominal curve unit small-signal slope (comparable with tanh).
        r_p: parallel resistance R_P, ohm (> 0). Default 2 kohm.
        tmr: TMR ratio (R_AP - R_P)/R_P (> 0). Default 1.5 (150 %).
        readout: "conductance" (voltage-biased read, symmetric curve) or "resistance" (current-biased).
    """

    hk: float = 5e-3
    bias_field: float = 2e-3
    offset_field: float = 0.0
    input_scale: float = 7e-3
    r_p: float = 2000.0
    tmr: float = 1.5
    readout: str = "conductance"

    def __post_init__(self) -> None:
        check_positive("hk", self.hk, unit="T")
        check_range("bias_field", self.bias_field, 0.0, 1.0, unit="T")
        check_range("offset_field", self.offset_field, -1.0, 1.0, unit="T")
        check_positive("input_scale", self.input_scale, unit="T")
        check_positive("r_p", self.r_p, unit="ohm")
        check_positive("tmr", self.tmr)
        check_choice("readout", self.readout, READOUTS)

    @property
    def small_signal_slope(self) -> float:
        """dy/dz of the nominal conductance curve at z = 0 with zero offset: input_scale / (H_K + H_b)."""
        return self.input_scale / (self.hk + self.bias_field)


@dataclass(frozen=True)
class Variability:
    """Device-to-device spread and read noise (all dimensionless, >= 0).

    Attributes:
        hk: relative sigma of H_K per device (0.05 = 5 %).
        tmr: relative sigma of the TMR ratio per device.
        r_p: relative sigma of R_P per device.
        offset: sigma of the per-device offset field along x (Neel coupling), as a fraction of H_K.
        read_noise: sigma of the Gaussian noise added to every read, as a fraction of the full output
            swing (2 normalized units): 0.005 -> sigma_y = 0.01.
    """

    hk: float = 0.0
    tmr: float = 0.0
    r_p: float = 0.0
    offset: float = 0.0
    read_noise: float = 0.0

    def __post_init__(self) -> None:
        for name in ("hk", "tmr", "r_p", "offset"):
            check_range(f"variability.{name}", getattr(self, name), 0.0, MAX_SPREAD)
        check_range("variability.read_noise", self.read_noise, 0.0, 0.5)

    @classmethod
    def uniform(cls, spread: float, read_noise: float = 0.0) -> "Variability":
        """The same relative ``spread`` for H_K, TMR, R_P and the offset (fraction of H_K)."""
        return cls(hk=spread, tmr=spread, r_p=spread, offset=spread, read_noise=read_noise)


@dataclass(frozen=True)
class DeviceArray:
    """Parameters of ``n`` fabricated junctions, each a (n,) float64 tensor (fields in T, R_P in ohm).

    Build with ``draw_devices``; ``nominal`` fixes the input scale, the readout and the normalization.
    """

    hk: torch.Tensor
    bias_field: torch.Tensor
    offset_field: torch.Tensor
    r_p: torch.Tensor
    tmr: torch.Tensor
    nominal: SensorMTJ = field(default_factory=SensorMTJ)

    def __post_init__(self) -> None:
        sizes = {name: tuple(getattr(self, name).shape) for name in ("hk", "bias_field", "offset_field", "r_p", "tmr")}
        if len(set(sizes.values())) != 1 or len(next(iter(sizes.values()))) != 1:
            raise ValueError(f"device parameters must be (n,) tensors of one length; got shapes {sizes}")
        check_positive("hk", self.hk, unit="T")
        check_non_negative("bias_field", self.bias_field, unit="T")
        check_finite("offset_field", self.offset_field)
        check_positive("r_p", self.r_p, unit="ohm")
        check_positive("tmr", self.tmr)

    def __len__(self) -> int:
        return int(self.hk.shape[0])


def draw_devices(
    nominal: SensorMTJ, variability: Variability, n: int, generator: torch.Generator | None = None
) -> DeviceArray:
    """Draw ``n`` junctions: H_K, TMR, R_P ~ nominal (1 + sigma N(0,1)); offset ~ N(0, (sigma H_K)^2).

    The draws come from ``generator`` in a fixed order (H_K, TMR, R_P, offset), so a seed fixes the chip.
    """
    check_range("n", n, 1, 1e9)
    hk = spread(nominal.hk, variability.hk, n, generator)
    tmr = spread(nominal.tmr, variability.tmr, n, generator)
    r_p = spread(nominal.r_p, variability.r_p, n, generator)
    offset = nominal.offset_field + offset_spread(variability.offset * nominal.hk, n, generator)
    bias = torch.full((n,), nominal.bias_field, dtype=torch.float64)
    return DeviceArray(hk=hk, bias_field=bias, offset_field=offset, r_p=r_p, tmr=tmr, nominal=nominal)


class _SWEquilibrium(torch.autograd.Function):
    """m_x(H_x, H_K, H_b) on the bias-connected SW branch; backward by the implicit function theorem."""

    @staticmethod
    def forward(ctx, h_x: torch.Tensor, hk: torch.Tensor, hb: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.shapes = (h_x.shape, hk.shape, hb.shape)
        a = h_x.abs()
        biased = bool((hb > 0).all())
        hb_eff = hb if biased else torch.where(hb > 0, hb, hk)  # placeholder where H_b = 0 (closed form there)
        u = torch.maximum(a / (hk + hb_eff), (a - hk) / hb_eff)
        tol = 64.0 * torch.finfo(u.dtype).eps
        for it in range(60):
            w = torch.addcmul(torch.ones_like(u), u, u)  # 1 + u^2
            rs = torch.rsqrt(w)
            step = torch.addcmul(-a, u, torch.addcmul(hb_eff, hk, rs)) / torch.addcmul(hb_eff, hk, rs / w)
            u = u - step
            if it >= 3 and it % 2 == 1 and bool((step.abs() * (rs / w) <= tol).all()):
                break
        s = u * torch.rsqrt(1.0 + u * u)
        if not biased:
            s = torch.where(hb > 0, s, (a / hk).clamp(max=1.0))
        mx = torch.copysign(s, h_x)
        ctx.save_for_backward(h_x, hk, hb, mx, u)
        return mx

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        h_x, hk, hb, mx, u = ctx.saved_tensors
        s_hx, s_hk, s_hb = ctx.shapes
        w = 1.0 + u * u
        # dm_x/dH_x = 1 / (H_K + H_b (1 + u^2)^{3/2}); hard-axis loop where H_b = 0
        slope = torch.where(hb > 0, 1.0 / (hk + hb * w * w.sqrt()), (h_x.abs() < hk).to(u.dtype) / hk)
        g = grad * slope
        # F(s) = H_K s + H_b s / c - H_x = 0 with c = cos t: ds/dH_K = -s ds/dH_x, ds/dH_b = -(s/c) ds/dH_x
        d_hk = (-g * mx).sum_to_size(s_hk) if ctx.needs_input_grad[1] else None
        d_hb = (-g * torch.copysign(u, mx)).sum_to_size(s_hb) if ctx.needs_input_grad[2] else None
        return g.sum_to_size(s_hx), d_hk, d_hb


def equilibrium_mx(h_x: torch.Tensor, hk: torch.Tensor | float, hb: torch.Tensor | float) -> torch.Tensor:
    """Closed-form fidelity: m_x of the SW sensor for field ``h_x`` along x, H_K and H_b along y (all T).

    Broadcasts its arguments; differentiable (implicit-function backward, exact to round-off).
    """
    h_x = torch.as_tensor(h_x)
    dtype = h_x.dtype if h_x.is_floating_point() else torch.float64
    h_x = h_x.to(dtype)
    hk = torch.as_tensor(hk, dtype=dtype, device=h_x.device)
    hb = torch.as_tensor(hb, dtype=dtype, device=h_x.device)
    return _SWEquilibrium.apply(h_x, hk, hb)


def equilibrium_slope(h_x: torch.Tensor, hk: torch.Tensor | float, hb: torch.Tensor | float) -> torch.Tensor:
    """Analytic dm_x/dH_x (1/T) of ``equilibrium_mx``: 1/(H_K + H_b (1 + tan^2 t)^{3/2})."""
    h_x = h_x.detach().requires_grad_(True)
    with torch.enable_grad():
        mx = equilibrium_mx(h_x, hk, hb)
        (slope,) = torch.autograd.grad(mx.sum(), h_x)
    return slope


def relax_macrospin(
    h_x: torch.Tensor,
    hk: torch.Tensor | float,
    hb: torch.Tensor | float,
    *,
    alpha: float = 1.0,
    tol: float = 1e-9,
    max_steps: int = 200_000,
    backend: str = "auto",
) -> torch.Tensor:
    """Macrospin fidelity: m_x after relaxing the LLGS equation to equilibrium (fields in T).

    Every element is one junction (free layer easy axis y, field (H_x, H_b, 0)), all integrated in one
    batch with ``physics.simulate`` (RK4, alpha = ``alpha``) from the bias direction m = +y, in
    segments, until the torque |m x B_eff| < ``tol`` * H_K for every junction. Isotropic demagnetizing
    factors are used: the thin film's out-of-plane demag field does not move the in-plane equilibrium
    (m_z = 0 there), it only makes the approach stiff. Not differentiable; float64 inside. ``backend``
    is passed to ``simulate`` ("auto": the fused CPU kernel when available, else the torch stepper).
    """
    check_positive("alpha", alpha)
    check_positive("tol", tol)
    h_x = torch.as_tensor(h_x)
    out_dtype = h_x.dtype if h_x.is_floating_point() else torch.float64
    hx, hk_t, hb_t = torch.broadcast_tensors(
        *(torch.as_tensor(v).detach().to("cpu", torch.float64) for v in (h_x, hk, hb))
    )
    shape = hx.shape
    hx, hk_t, hb_t = hx.reshape(-1).contiguous(), hk_t.reshape(-1).contiguous(), hb_t.reshape(-1).contiguous()
    n = hx.numel()
    params = Macrospin(
        ms=1e6, thickness=1e-9, area=1e-16, alpha=alpha, demag=(1 / 3, 1 / 3, 1 / 3), anisotropy_field=hk_t,
        easy_axis=(0.0, 1.0, 0.0), polarizer=(1.0, 0.0, 0.0), eta=0.0,
    )
    applied = torch.stack([hx, hb_t, torch.zeros_like(hx)], dim=-1)
    drive = Drive(field=applied)
    b_max = float((hx.abs() + hb_t + hk_t).max())
    gamma_ll = GAMMA_E / (1.0 + alpha**2)
    dt = 1.0 / (gamma_ll * b_max)  # |lambda| dt <= sqrt(1 + alpha^2) < 2.8 (RK4 stability)
    seg = 64
    m = torch.zeros((n, 3), dtype=torch.float64)
    m[:, 1] = 1.0
    y_axis = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    steps = 0
    while True:
        b_eff = applied + hk_t[:, None] * m[:, 1:2] * y_axis
        torque = torch.linalg.cross(m, b_eff, dim=-1).norm(dim=-1) / hk_t
        if float(torque.max()) < tol:
            break
        if steps >= max_steps:
            j = int(torque.argmax())
            raise RuntimeError(
                f"macrospin did not reach equilibrium in {steps} steps (junction {j}: H_x = {float(hx[j])!r} T, "
                f"H_K = {float(hk_t[j])!r} T, H_b = {float(hb_t[j])!r} T; torque/H_K = {float(torque[j]):.3g}); "
                "near H_b = 0, |H_x| = H_K the relaxation is critically slow"
            )
        # dt sits at RK4's stability edge on purpose (only the equilibrium counts, not the transient's
        # phase), below the 10 steps per period that simulate's accuracy guard asks for: turned off here.
        m = simulate(m, params, drive, duration=seg * dt, dt=dt, method="rk4", backend=backend, dt_check="off").final
        steps += seg
    return m[:, 0].reshape(shape).to(dtype=out_dtype, device=h_x.device)


def normalized_output(mx: torch.Tensor, r_p: torch.Tensor, tmr: torch.Tensor, nominal: SensorMTJ) -> torch.Tensor:
    """Neuron output y from m_x via the TMR law (``tmr_resistance``), normalized with the nominal device."""
    resistance = tmr_resistance(mx, r_p.to(mx.dtype), tmr.to(mx.dtype))
    g_p0, g_ap0 = 1.0 / nominal.r_p, 1.0 / (nominal.r_p * (1.0 + nominal.tmr))
    if nominal.readout == "conductance":
        return (1.0 / resistance - 0.5 * (g_p0 + g_ap0)) / (0.5 * (g_p0 - g_ap0))
    r_ap0 = nominal.r_p * (1.0 + nominal.tmr)
    return (0.5 * (nominal.r_p + r_ap0) - resistance) / (0.5 * (r_ap0 - nominal.r_p))


@dataclass(frozen=True)
class MTJActivation:
    """A row of ``len(devices)`` sensor MTJs used as neurons: pre-activation z -> normalized output y.

    Implements ``DeviceModel``: ``response(z, generator)`` takes z of shape (B, n) (or (B,) when n = 1),
    applies H_x = input_scale z + offset_j to junction j, and reads y_j with fresh Gaussian read noise
    (sigma = 2 ``read_noise``) drawn from ``generator``. ``fidelity`` "compact" (closed form) or
    "macrospin" (LLGS relaxation, slower; for validation and small runs).

    The conductance is linear in m_x, G_j = G_mid,j + G_half,j m_x; both coefficients are taken once
    from ``tmr_resistance`` at m_x = +-1 (``normalized_output`` is the direct, slower reference).
    """

    devices: DeviceArray
    read_noise: float = 0.0
    fidelity: str = "compact"
    input_unit: str = "1 (field / input_scale)"
    output_unit: str = "1 (conductance normalized to the nominal swing)"

    def __post_init__(self) -> None:
        check_range("read_noise", self.read_noise, 0.0, 0.5)
        check_choice("fidelity", self.fidelity, ("compact", "macrospin"))
        d = self.devices
        g_p = 1.0 / tmr_resistance(torch.ones_like(d.r_p), d.r_p, d.tmr)
        g_ap = 1.0 / tmr_resistance(-torch.ones_like(d.r_p), d.r_p, d.tmr)
        nom = d.nominal
        g_p0, g_ap0 = 1.0 / nom.r_p, 1.0 / (nom.r_p * (1.0 + nom.tmr))
        object.__setattr__(self, "_g_mid", 0.5 * (g_p + g_ap))
        object.__setattr__(self, "_g_half", 0.5 * (g_p - g_ap))
        object.__setattr__(self, "_norm0", (0.5 * (g_p0 + g_ap0), 0.5 * (g_p0 - g_ap0), nom.r_p, nom.r_p * (1.0 + nom.tmr)))

    def _check(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            raise ValueError(f"inputs must be a floating-point torch.Tensor; got {type(z).__name__}")
        n = len(self.devices)
        if z.ndim == 1 and n == 1:
            z = z[:, None]
        if z.ndim < 2 or z.shape[-1] != n:
            raise ValueError(f"inputs have shape {tuple(z.shape)}; allowed: (..., {n}) for {n} devices")
        return z

    def transfer(self, z: torch.Tensor) -> torch.Tensor:
        """Noise-free y = f_j(z) of each device (differentiable for the compact fidelity)."""
        squeeze = z.ndim == 1
        z = self._check(z)
        d, dt = self.devices, z.dtype
        h_x = torch.addcmul(d.offset_field.to(dt), z, torch.tensor(d.nominal.input_scale, dtype=dt, device=z.device))
        if self.fidelity == "compact":
            mx = _SWEquilibrium.apply(h_x, d.hk.to(dt), d.bias_field.to(dt))
        else:
            mx = relax_macrospin(h_x, d.hk, d.bias_field)
        g_mid0, g_half0, r_p0, r_ap0 = self._norm0
        conductance = torch.addcmul(self._g_mid.to(dt), mx, self._g_half.to(dt))
        if d.nominal.readout == "conductance":
            y = (conductance - g_mid0) / g_half0
        else:
            y = (0.5 * (r_p0 + r_ap0) - 1.0 / conductance) / (0.5 * (r_ap0 - r_p0))
        return y[:, 0] if squeeze else y

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One noisy read y = f_j(z) + n per element (DeviceModel protocol)."""
        return read_noise(self.transfer(inputs), 2.0 * self.read_noise, generator)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        """Exact dy/dz of each (noise-free) device curve, from the implicit-function backward."""
        z = z.detach().requires_grad_(True)
        with torch.enable_grad():
            y = MTJActivation(self.devices, 0.0, "compact").transfer(z)
            (g,) = torch.autograd.grad(y.sum(), z)
        return g

    def read_with_derivative(
        self, z: torch.Tensor, delta: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Three reads of every device, batched: y = f(z) and g = [f(z + delta) - f(z - delta)] / (2 delta).

        Each read carries its own read noise (from ``generator``), so g has noise sigma_y / (sqrt(2) delta)
        and a truncation error delta^2 f'''/6 (SEEDS_SPEC 4.2). ``delta`` is in pre-activation units (> 0).
        """
        check_positive("delta", delta)
        reads = self.response(torch.stack([z, z + delta, z - delta]).reshape(-1, *z.shape[1:]), generator)
        y, up, down = reads.reshape(3, *z.shape).unbind(0)
        return y, (up - down) / (2.0 * delta)

    def fd_derivative(self, z: torch.Tensor, delta: float, generator: torch.Generator | None = None) -> torch.Tensor:
        """Measured central finite-difference derivative (two noisy reads per element)."""
        check_positive("delta", delta)
        reads = self.response(torch.stack([z + delta, z - delta]).reshape(-1, *z.shape[1:]), generator)
        up, down = reads.reshape(2, *z.shape).unbind(0)
        return (up - down) / (2.0 * delta)
