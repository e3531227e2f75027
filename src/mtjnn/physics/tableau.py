"""The Dormand-Prince 5(4) Butcher tableau (Dormand & Prince 1980), shared by the torch integrator
(``rk45.py``) and the fused per-junction kernel (``fused_kernel.py``).

Pure constants: the fused kernel compiles them in, so they must never change (numba's cache would not see it).
``DP_E`` = ``DP_B5 - DP_B4`` (the embedded error estimate's weights).
"""

from __future__ import annotations

DP_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
DP_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
DP_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
DP_E = tuple(b5 - b4 for b5, b4 in zip(DP_B5, DP_B4))

#: Step-size controller shared by both integrators: h <- h * clip(SAFETY * err^(-1/5), SHRINK_MAX, GROW_MAX).
SAFETY, SHRINK_MAX, GROW_MAX = 0.9, 0.2, 5.0
