"""Embedded Runge-Kutta pairs for adaptive stepping, shared by the batch-wide torch integrator (``rk45.py``)
and the per-junction fused kernel (``fused_kernel._sweep``).

* ``DP54``: Dormand & Prince's 5(4) pair (J. Comput. Appl. Math. 6, 19, 1980), ``simulate(method="rk45")``;
* ``DOP853``: Dormand & Prince's 8th-order method with Hairer's 5th- and 3rd-order error estimators (Hairer,
  Norsett & Wanner, *Solving ODEs I*, 2nd ed., sec. II.10, code DOP853), ``simulate(method="dop853")``: about
  5x fewer right-hand sides than DP54 at the tolerances 1e-10-1e-12 a global 1e-6 needs (measured).

A pair has ``n`` stages k_0..k_{n-1} (k_i = f(m + h sum_j a_ij k_j)), the solution m + h sum b_i k_i, and one
more right-hand side k_n at the new state (the next step's k_0: "first same as last"). Its error norm, with
s_c = atol + rtol max(|m_c|, |m_new,c|) and e5, e3 = h sum_i E5_i k_i / s, h sum_i E3_i k_i / s (i <= n):

    err = |e5|^2 / sqrt(3 (|e5|^2 + 0.01 |e3|^2))   (E3 = 0: the RMS of e5 over x, y, z)

and the step-size controller h <- h clip(SAFETY err^(-1/(q+1)), SHRINK_MAX, GROW_MAX), q = ``error_order``.
Pure constants: the fused kernel compiles them in (numba caches it), so they must never change.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Step-size controller: h <- h * clip(SAFETY * err^(-1/(q+1)), SHRINK_MAX, GROW_MAX).
SAFETY, SHRINK_MAX, GROW_MAX = 0.9, 0.2, 5.0


@dataclass(frozen=True)
class Tableau:
    """An embedded explicit Runge-Kutta pair (see the module docstring): nodes ``c`` and rows ``a`` of its
    ``n`` stages, weights ``b`` (n), error weights ``e5`` and ``e3`` (n + 1, the last for f at the new state),
    and the order ``error_order`` of its error estimate."""

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    e5: tuple[float, ...]
    e3: tuple[float, ...]
    error_order: int

    @property
    def stages(self) -> int:
        return len(self.b)

    @property
    def exponent(self) -> float:
        """The controller's exponent -1/(q + 1)."""
        return -1.0 / (self.error_order + 1)


_DP_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_DP_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
DP54 = Tableau(
    name="rk45",
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0),
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    ),
    b=_DP_B5[:6],
    e5=tuple(b5 - b4 for b5, b4 in zip(_DP_B5, _DP_B4)),
    e3=(0.0,) * 7,
    error_order=4,
)

DOP853 = Tableau(
    name="dop853",
    c=(0.0, 0.05260015195876773, 0.0789002279381516, 0.1183503419072274, 0.2816496580927726,
       0.3333333333333333, 0.25, 0.3076923076923077, 0.6512820512820513, 0.6, 0.8571428571428571, 1.0),
    a=(
        (),
        (0.05260015195876773,),
        (0.0197250569845379, 0.0591751709536137),
        (0.02958758547680685, 0.0, 0.08876275643042054),
        (0.2413651341592667, 0.0, -0.8845494793282861, 0.924834003261792),
        (0.037037037037037035, 0.0, 0.0, 0.17082860872947386, 0.12546768756682242),
        (0.037109375, 0.0, 0.0, 0.17025221101954405, 0.06021653898045596, -0.017578125),
        (0.03709200011850479, 0.0, 0.0, 0.17038392571223998, 0.10726203044637328, -0.015319437748624402,
         0.008273789163814023),
        (0.6241109587160757, 0.0, 0.0, -3.3608926294469414, -0.868219346841726, 27.59209969944671,
         20.154067550477894, -43.48988418106996),
        (0.47766253643826434, 0.0, 0.0, -2.4881146199716677, -0.590290826836843, 21.230051448181193,
         15.279233632882423, -33.28821096898486, -0.020331201708508627),
        (-0.9371424300859873, 0.0, 0.0, 5.186372428844064, 1.0914373489967295, -8.149787010746927,
         -18.52006565999696, 22.739487099350505, 2.4936055526796523, -3.0467644718982196),
        (2.273310147516538, 0.0, 0.0, -10.53449546673725, -2.0008720582248625, -17.9589318631188,
         27.94888452941996, -2.8589982771350235, -8.87285693353063, 12.360567175794303, 0.6433927460157636),
    ),
    b=(0.054293734116568765, 0.0, 0.0, 0.0, 0.0, 4.450312892752409, 1.8915178993145003,
       -5.801203960010585, 0.3111643669578199, -0.1521609496625161, 0.20136540080403034,
       0.04471061572777259),
    e5=(0.01312004499419488, 0.0, 0.0, 0.0, 0.0, -1.2251564463762044, -0.4957589496572502,
        1.6643771824549864, -0.35032884874997366, 0.3341791187130175, 0.08192320648511571,
        -0.022355307863886294, 0.0),
    e3=(-0.18980075407240762, 0.0, 0.0, 0.0, 0.0, 4.450312892752409, 1.8915178993145003,
        -5.801203960010585, -0.4226823213237919, -0.1521609496625161, 0.20136540080403034,
        0.02265179219836082, 0.0),
    error_order=7,
)

ADAPTIVE = {t.name: t for t in (DP54, DOP853)}  #: the adaptive methods of ``simulate``, by name
