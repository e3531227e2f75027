"""Bad input to the physics entry points gives a clear error naming the parameter and its value."""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.physics import Crossing, DivergenceError, Drive, Macrospin, Pulse, simulate

F64 = torch.float64
GOOD = dict(ms=8e5, thickness=1.5e-9, area=1e-16)


def _m0(b: int = 3) -> torch.Tensor:
    return torch.tensor([[0.1, 0.0, 1.0]] * b, dtype=F64)


def _run(m0=None, params=None, drive=None, **kw):
    kw = {"duration": 1e-11, "dt": 1e-12, **kw}
    return simulate(_m0() if m0 is None else m0, params or Macrospin(**GOOD), drive, **kw)


@pytest.mark.parametrize(
    "name, value, pattern",
    [
        ("ms", 0.0, r"ms = 0\.0 A/m is out of range"),
        ("ms", -8e5, r"ms = -800000\.0 A/m is out of range"),
        ("thickness", 0.0, r"thickness = 0\.0 m is out of range"),
        ("thickness", -1e-9, r"thickness = -1e-09 m is out of range"),
        ("area", 0.0, r"area = 0\.0 m\^2 is out of range"),  # volume = area * thickness
        ("area", -1e-16, r"area = -1e-16 m\^2 is out of range"),
        ("alpha", -0.01, r"alpha = -0\.01 is out of range"),
        ("alpha", math.nan, r"alpha = nan is not finite"),
        ("anisotropy_field", -0.1, r"anisotropy_field = -0\.1 T is out of range"),
        ("temperature", -1.0, r"temperature = -1\.0 K is out of range"),
        ("eta", 1.5, r"eta = 1\.5 is out of range"),
        ("gamma", 0.0, r"gamma = 0\.0 rad/\(s T\) is out of range"),
    ],
)
def test_non_positive_or_out_of_range_parameter(name, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        Macrospin(**{**GOOD, name: value})


def test_bad_parameter_in_a_per_junction_tensor_is_located():
    with pytest.raises(ValueError, match=r"ms\[2\] = -1\.0 A/m is out of range"):
        Macrospin(**{**GOOD, "ms": torch.tensor([8e5, 8e5, -1.0])})


def test_demag_factors_must_sum_to_one():
    with pytest.raises(ValueError, match=r"demag factors sum to 0\.(9|8999+)"):
        Macrospin(**GOOD, demag=(0.3, 0.3, 0.3))


def test_zero_easy_axis():
    with pytest.raises(ValueError, match=r"easy_axis = \[0\.0, 0\.0, 0\.0\]"):
        Macrospin(**GOOD, easy_axis=(0.0, 0.0, 0.0))


def test_nan_initial_state():
    m0 = _m0()
    m0[1, 2] = math.nan
    with pytest.raises(ValueError, match=r"m0\[1\] = \[0\.1, 0\.0, nan\] is not finite"):
        _run(m0)


def test_zero_length_initial_state():
    m0 = _m0()
    m0[2] = 0.0
    with pytest.raises(ValueError, match=r"m0\[2\] has zero length"):
        _run(m0)


def test_initial_state_of_wrong_shape():
    with pytest.raises(ValueError, match=r"m0 has shape \(3, 2\)"):
        _run(torch.zeros(3, 2, dtype=F64) + 1)


def test_per_junction_parameters_disagree_on_batch():
    with pytest.raises(ValueError, match=r"'ms': 3.*'alpha': 4|'alpha': 4.*'ms': 3"):
        Macrospin(**{**GOOD, "ms": torch.full((3,), 8e5), "alpha": torch.full((4,), 0.01)})


def test_parameter_batch_differs_from_state_batch():
    params = Macrospin(**{**GOOD, "ms": torch.full((3,), 8e5)})
    with pytest.raises(ValueError, match=r"ms.*3 junctions.*batch 5|3 junctions.*batch 5.*ms"):
        _run(_m0(5), params)


def test_current_batch_differs_from_state_batch():
    with pytest.raises(ValueError, match=r"current gives 4 values per time; allowed: 1 or the batch size 3"):
        _run(drive=Drive(current=torch.zeros(4, dtype=F64)))


def test_field_batch_differs_from_state_batch():
    with pytest.raises(ValueError, match=r"field gives 2 vectors per time; allowed: 1 or the batch size 3"):
        _run(drive=Drive(field=torch.zeros(2, 3, dtype=F64)))


def test_field_of_wrong_shape():
    with pytest.raises(ValueError, match=r"field has shape \(2,\)"):
        Drive(field=(0.0, 0.1))


def test_nan_current():
    with pytest.raises(ValueError, match=r"current\[1\] = nan is not finite"):
        Drive(current=torch.tensor([0.0, math.nan]))


@pytest.mark.parametrize("dt", [0.0, -1e-12])
def test_non_positive_dt(dt):
    with pytest.raises(ValueError, match=rf"dt = {dt!r} s is out of range"):
        _run(dt=dt)


def test_non_positive_duration():
    with pytest.raises(ValueError, match=r"duration = -1e-09 s is out of range"):
        _run(duration=-1e-9)


def test_duration_not_a_multiple_of_dt():
    with pytest.raises(ValueError, match=r"duration = 1\.05e-11 s is not a multiple of dt = 1e-12 s"):
        _run(duration=1.05e-11)


def test_thermal_run_needs_heun():
    with pytest.raises(ValueError, match=r"method = 'rk4' with temperature > 0"):
        _run(params=Macrospin(**GOOD, temperature=300.0), method="rk4")


def test_unknown_method_and_backend():
    with pytest.raises(ValueError, match=r"method = 'euler' is not allowed"):
        _run(method="euler")
    with pytest.raises(ValueError, match=r"backend = 'cuda' is not allowed"):
        _run(backend="cuda")


def test_bad_crossing_and_pulse():
    with pytest.raises(ValueError, match=r"threshold = 2\.0 is out of range"):
        Crossing("z", 2.0)
    with pytest.raises(ValueError, match=r"direction = 'down' is not allowed"):
        Crossing("z", 0.0, "down")
    with pytest.raises(ValueError, match=r"width = 0\.0 s is out of range"):
        Pulse(amplitude=1e-3, start=0.0, width=0.0)


@pytest.mark.parametrize("backend", ["torch", "auto"])
def test_divergence_names_the_junction(backend):
    """A drive that turns NaN for junction 2 only: the integration stops with DivergenceError naming it."""

    def field(t: torch.Tensor) -> torch.Tensor:  # (T,) -> (T, 3 junctions, 3)
        out = torch.zeros(t.shape[0], 3, 3, dtype=t.dtype)
        out[..., 2] = 0.1
        out[t > 5e-12, 2, 0] = math.nan
        return out

    with pytest.raises(DivergenceError, match=r"junction 2 became non-finite"):
        _run(drive=Drive(field=field), duration=1e-10, backend=backend)
