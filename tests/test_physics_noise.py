"""Counter-based thermal noise (Philox4x32-10 + Box-Muller, ``physics/philox.py``, ``fused_kernel._counter_field``).

Known answers from Random123 (tests/kat_vectors), the kernel's own ln/cos/sin against numpy, the kernel's
normals against the torch reference, the distribution of the normals, and the promises of
``simulate(..., noise_keys=...)``: a junction's trajectory depends only on its key — bit for bit across
batch groupings, chunk lengths and thread counts — and the torch stepper draws the same field.
(The Boltzmann and mean-first-passage statistics on this noise are in ``test_physics_thermal.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics import integrate
from mtjnn.physics.philox import philox4x32, random_keys, thermal_normals

F64 = torch.float64
DT = 1e-12

# Random123 tests/kat_vectors, "philox4x32 10": counter (4 words), key (2 words) -> output (4 words)
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_philox_known_answers(counter, key, expected) -> None:
    assert tuple(int(x) for x in philox4x32(counter, key)) == expected


def test_kernel_philox_known_answer() -> None:
    fk = pytest.importorskip("mtjnn.physics.fused_kernel")
    assert tuple(int(x) for x in fk._philox(np.uint64(0), np.uint64(0), np.uint64(0))) == KAT[0][2]


def test_kernel_log_and_sincos_match_numpy() -> None:
    fk = pytest.importorskip("mtjnn.physics.fused_kernel")
    rng = np.random.default_rng(0)
    u = np.concatenate([(np.arange(2**12) + 0.5) * 2.0**-32, 1 - (np.arange(2**12) + 0.5) * 2.0**-32,
                        rng.random(20000), 2.0 ** -rng.uniform(0, 33, 20000), [2.0**-64, 2.0**-33, 1.0]])
    logs = np.array([fk._log_unit(x) for x in u])
    assert np.max(np.abs(logs - np.log(u)) / np.maximum(np.abs(np.log(u)), 1e-300)) < 1e-15  # ~2 ulp
    assert fk._log_unit(1.0) == 0.0
    v = np.concatenate([u[u < 1], np.arange(0, 1.0001, 0.125), np.arange(-8, 9) * 1e-17 + 0.25 + 0.5])
    v = v[(v >= 0) & (v <= 1)]
    cs = np.array([fk._sincos_turns(x) for x in v])
    assert np.max(np.abs(cs[:, 0] - np.cos(2 * np.pi * v))) < 2e-15  # numpy rounds 2 pi v too
    assert np.max(np.abs(cs[:, 1] - np.sin(2 * np.pi * v))) < 2e-15


def test_kernel_normals_match_torch_reference() -> None:
    fk = pytest.importorskip("mtjnn.physics.fused_kernel")
    keys = random_keys(fk.BLOCK, torch.Generator().manual_seed(1))
    keys[:3] = torch.tensor([0, -1, 2**63 - 1])
    for step in (0, 1, 2**32 - 1, 2**32 + 5, 2**45 + 3):
        th = np.zeros(3 * fk.BLOCK)
        fk._counter_field(th, keys.numpy().view(np.uint64), np.ones(1), 0, fk.BLOCK, step)
        kernel = torch.from_numpy(th.reshape(3, fk.BLOCK).T.copy())
        reference = thermal_normals(keys, step, 1)[0]
        assert (kernel - reference).abs().max() < 1e-14 * max(1.0, float(reference.abs().max()))


def test_normals_are_standard_and_independent() -> None:
    n = thermal_normals(random_keys(4000, torch.Generator().manual_seed(2)), 10**9, 25).numpy()  # (25, 4000, 3)
    flat = n.reshape(-1)
    assert abs(flat.mean()) < 4 / math.sqrt(flat.size)
    assert abs(flat.var() - 1) < 5 * math.sqrt(2 / flat.size)
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    assert abs(stats.kurtosis(flat)) < 5 * math.sqrt(24 / flat.size)
    corr = np.corrcoef(n.reshape(-1, 3).T)  # components of one junction-step
    assert np.abs(corr - np.eye(3)).max() < 4 / math.sqrt(n.shape[0] * n.shape[1])
    lag = np.corrcoef(n[:-1].reshape(-1), n[1:].reshape(-1))[0, 1]  # consecutive steps
    assert abs(lag) < 4 / math.sqrt(flat.size)
    junction = np.corrcoef(n[:, :-1].reshape(-1), n[:, 1:].reshape(-1))[0, 1]  # neighbouring keys
    assert abs(junction) < 4 / math.sqrt(flat.size)


# ----------------------------------------------------------------------------------------- simulate


def _junctions(batch: int, per_junction: bool) -> tuple[Macrospin, Drive]:
    """In-plane junctions at 300 K; per-junction temperature, current and field if ``per_junction``."""
    i = torch.arange(batch, dtype=F64)
    temperature = 250.0 + 100.0 * (i % 7) / 6 if per_junction else 300.0
    params = Macrospin(ms=1e6, thickness=1.4e-9, area=4e-15, alpha=0.02, demag=(0.03, 0.06, 0.91),
                       anisotropy_field=0.02, easy_axis=(1.0, 0.0, 0.0), polarizer=(1.0, 0.0, 0.0), eta=0.6,
                       temperature=temperature)
    if not per_junction:
        return params, Drive(current=-2e-5, field=(1e-3, 0.0, 0.0))
    amplitude = -1e-5 - 2e-5 * (i % 5) / 4

    def current(t: torch.Tensor) -> torch.Tensor:  # (T, B): a per-junction pulse, time dependent
        return amplitude[None, :] * (t[:, None] < 30e-12).to(F64)

    return params, Drive(current=current, field=(1e-3, 0.0, 0.0))


def _run(batch: int, keys: torch.Tensor, per_junction: bool, backend: str = "fused", steps: int = 60, **kw):
    params, drive = _junctions(batch, per_junction)
    m0 = torch.tensor([[0.95, 0.3, 0.05]], dtype=F64).expand(batch, 3).contiguous()
    return simulate(m0, params, drive, duration=steps * DT, dt=DT, method="heun", backend=backend,
                    sample_every=DT, noise_keys=keys, **kw)


def _keys(batch: int) -> torch.Tensor:
    return random_keys(batch, torch.Generator().manual_seed(3))


@pytest.mark.parametrize("per_junction", [False, True])
def test_fused_matches_torch_with_the_same_keys(per_junction) -> None:
    keys = _keys(300)
    fused = _run(300, keys, per_junction)
    plain = _run(300, keys, per_junction, backend="torch")
    assert (fused.m - plain.m).abs().max() < 1e-12


@pytest.mark.parametrize("per_junction", [False, True])
def test_a_junction_is_bit_identical_in_any_batch(per_junction) -> None:
    """Junction j alone (its own parameters and drive, batch 1) and inside a batch of 600 (full and partial
    blocks, other keys around it; shared or per-junction parameters and drive): the same bits."""
    batch = 600
    keys = _keys(batch)
    whole = _run(batch, keys, per_junction)
    for j in (0, 257, 599):
        alone = _run_params(_single(j, per_junction), keys[j:j + 1])
        assert torch.equal(alone.m[:, 0], whole.m[:, j])
    part = _run(100, keys[245:345], per_junction)  # a sub-batch; the parameters repeat with period 35
    assert torch.equal(part.m[:, 12], whole.m[:, 257])


def _single(j: int, per_junction: bool) -> tuple[Macrospin, Drive]:
    """The parameters and drive of junction ``j`` of ``_junctions(batch, per_junction)`` as a batch of one."""
    params, drive = _junctions(1, per_junction)
    if not per_junction:
        return params, drive
    temperature = torch.tensor([250.0 + 100.0 * (j % 7) / 6], dtype=F64)
    amplitude = -1e-5 - 2e-5 * (j % 5) / 4

    def current(t: torch.Tensor) -> torch.Tensor:
        return amplitude * (t[:, None] < 30e-12).to(F64)

    single = Macrospin(ms=1e6, thickness=1.4e-9, area=4e-15, alpha=0.02, demag=(0.03, 0.06, 0.91),
                       anisotropy_field=0.02, easy_axis=(1.0, 0.0, 0.0), polarizer=(1.0, 0.0, 0.0), eta=0.6,
                       temperature=temperature)
    return single, Drive(current=current, field=(1e-3, 0.0, 0.0))


def _run_params(params_drive: tuple[Macrospin, Drive], keys: torch.Tensor, steps: int = 60):
    params, drive = params_drive
    m0 = torch.tensor([[0.95, 0.3, 0.05]], dtype=F64).expand(keys.shape[0], 3).contiguous()
    return simulate(m0, params, drive, duration=steps * DT, dt=DT, method="heun", backend="fused",
                    sample_every=DT, noise_keys=keys)


def test_chunking_and_threads_do_not_change_a_bit(monkeypatch) -> None:
    batch = 600  # three blocks: two threads split them
    keys = _keys(batch)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _run(batch, keys, True, steps=80)
        torch.set_num_threads(2)
        two = _run(batch, keys, True, steps=80)
        monkeypatch.setattr(integrate, "_chunk_length", lambda batch, buffers: 7)
        chunked = _run(batch, keys, True, steps=80)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one.m, two.m)
    assert torch.equal(one.m, chunked.m)


def test_keys_drawn_from_the_generator_are_reproducible() -> None:
    params, drive = _junctions(50, False)
    m0 = torch.tensor([[0.95, 0.3, 0.05]], dtype=F64).expand(50, 3).contiguous()

    def run(seed: int, **kw):
        return simulate(m0, params, drive, duration=40 * DT, dt=DT, method="heun", generator=torch.Generator().manual_seed(seed),
                        **kw).final

    assert torch.equal(run(5), run(5))
    assert not torch.equal(run(5), run(6))
    explicit = simulate(m0, params, drive, duration=40 * DT, dt=DT, method="heun",
                        noise_keys=random_keys(50, torch.Generator().manual_seed(5))).final
    assert torch.equal(run(5), explicit)
    assert torch.equal(run(5, noise_source="generator"), run(5, noise_source="generator"))
    assert not torch.equal(run(5, noise_source="generator"), run(5))


def test_float32_runs_see_the_same_noise() -> None:
    keys = _keys(40)
    params, drive = _junctions(40, False)
    m0 = torch.tensor([[0.95, 0.3, 0.05]], dtype=torch.float32).expand(40, 3).contiguous()
    out = [simulate(m0.to(dtype), params, drive, duration=30 * DT, dt=DT, method="heun", backend=backend,
                    noise_keys=keys).final.to(F64) for dtype in (torch.float32, torch.float64) for backend in ("fused", "torch")]
    for o in out[1:]:
        assert (o - out[0]).abs().max() < 1e-4


@pytest.mark.parametrize(("keys", "kw", "match"), [
    (torch.zeros(3, dtype=torch.int32), {}, "noise_keys.*int64 tensor of shape \\(4,\\)"),
    (torch.zeros(5, dtype=torch.int64), {}, "noise_keys.*shape \\(5,\\).*\\(4,\\)"),
    (torch.zeros(4, 1, dtype=torch.int64), {}, "noise_keys"),
    ([1, 2, 3, 4], {}, "noise_keys: list"),
    (torch.zeros(4, dtype=torch.int64), {"noise_source": "generator"}, "noise_source"),
    (None, {"noise_source": "numpy"}, "noise_source"),
])
def test_bad_noise_arguments_name_the_parameter(keys, kw, match) -> None:
    params, drive = _junctions(4, False)
    m0 = torch.tensor([[1.0, 0.0, 0.0]], dtype=F64).expand(4, 3)
    with pytest.raises(ValueError, match=match):
        simulate(m0, params, drive, duration=5 * DT, dt=DT, method="heun", noise_keys=keys, **kw)
