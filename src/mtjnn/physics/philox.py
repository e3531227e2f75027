"""Counter-based random numbers for the thermal field: Philox4x32-10 and Box-Muller, in torch.

Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC11 (2011);
the Random123 library) maps a 128-bit counter and a 64-bit key to four 32-bit words through ten rounds
of multiply-high/low, xor and a Weyl key schedule. Output is a pure function of (counter, key): no
state, so any junction's numbers at any step can be produced anywhere, in any order.

Thermal-field layout (shared by this torch reference and the fused kernel in ``fused_kernel.py``):
junction j with 64-bit key K_j at global step s uses counter (s mod 2^32, s div 2^32, 0, 0) and key
(K_j mod 2^32, K_j div 2^32) (K_j read as unsigned). The four words x0..x3 become uniforms
u_i = (x_i + 1/2) 2^-32 in (0, 1), and Box-Muller gives the three field components

    n0 = r cos(2 pi u1),  n1 = r sin(2 pi u1),  n2 = sqrt(-2 ln u2) cos(2 pi u3),  r = sqrt(-2 ln u0).

32-bit uniforms truncate each normal at |n| <= sqrt(-2 ln 2^-33) = 6.76 (probability 1.4e-11 per
component; torch's float32 normals, the previous source, are coarser). Everything is computed in
float64. The fused kernel evaluates ln, cos and sin with its own vectorizable polynomials; this module
uses torch's, so the two agree to rounding (~1e-15 relative), which the tests check.

Arithmetic is int64 throughout: 32 x 32-bit products are split into 16-bit halves so that nothing
overflows a signed 64-bit integer, which keeps it exact on every torch device.
"""

from __future__ import annotations

import math

import torch

# Philox4x32 constants (Random123): multipliers and Weyl key increments
PHILOX_M0, PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
PHILOX_ROUNDS = 10
_MASK32 = 0xFFFFFFFF


def _mulhilo(a: int, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """High and low 32-bit words of the 64-bit product of the constant ``a`` and the words ``b`` (int64 < 2^32)."""
    a_lo, a_hi = a & 0xFFFF, a >> 16
    p_lo = b * a_lo  # < 2^48
    p_hi = b * a_hi  # < 2^48; product = p_hi 2^16 + p_lo
    mid = p_lo + ((p_hi & 0xFFFF) << 16)  # < 2^49
    return (p_hi >> 16) + (mid >> 32), mid & _MASK32


def philox4x32(counter: tuple, key: tuple, rounds: int = PHILOX_ROUNDS) -> tuple[torch.Tensor, ...]:
    """Philox4x32-``rounds`` of ``counter`` (4 words) under ``key`` (2 words); words are int64 tensors or ints
    in [0, 2^32) that broadcast together. Returns the four output words (int64 tensors in [0, 2^32))."""
    c0, c1, c2, c3 = (torch.as_tensor(c, dtype=torch.int64) for c in counter)
    k0, k1 = (torch.as_tensor(k, dtype=torch.int64) for k in key)
    for r in range(rounds):
        if r:
            k0, k1 = (k0 + PHILOX_W0) & _MASK32, (k1 + PHILOX_W1) & _MASK32
        hi0, lo0 = _mulhilo(PHILOX_M0, c0)
        hi1, lo1 = _mulhilo(PHILOX_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def key_words(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Low and high 32-bit words of int64 keys (read as unsigned 64-bit)."""
    return keys & _MASK32, (keys >> 32) & _MASK32


def thermal_normals(keys: torch.Tensor, step0: int, n: int) -> torch.Tensor:
    """Unit normals (n, B, 3) float64 of junctions with ``keys`` (B,) int64 at global steps step0 .. step0+n-1."""
    steps = torch.arange(step0, step0 + n, dtype=torch.int64, device=keys.device)[:, None]
    k0, k1 = key_words(keys[None, :])
    x0, x1, x2, x3 = philox4x32((steps & _MASK32, steps >> 32, 0, 0), (k0, k1))
    u0, u1, u2, u3 = ((x.to(torch.float64) + 0.5) * 2.0**-32 for x in (x0, x1, x2, x3))
    r0 = torch.sqrt(-2.0 * torch.log(u0))
    r1 = torch.sqrt(-2.0 * torch.log(u2))
    a1, a3 = (2.0 * math.pi) * u1, (2.0 * math.pi) * u3
    return torch.stack((r0 * torch.cos(a1), r0 * torch.sin(a1), r1 * torch.cos(a3)), dim=-1)


def random_keys(batch: int, generator: torch.Generator | None, device: torch.device | str = "cpu") -> torch.Tensor:
    """(batch,) int64 keys drawn uniformly over all 2^64 values from ``generator`` (torch's default if None)."""
    gen_device = generator.device if generator is not None else torch.device("cpu")
    keys = torch.randint(-(2**63), 2**63 - 1, (batch,), dtype=torch.int64, generator=generator, device=gen_device)
    return keys.to(device)
