"""Conformance suite for device models (like scikit-learn's ``check_estimator``).

``check_device_model(model, inputs)`` asserts the ``DeviceModel`` contract: declared fidelity and
units, batch-first shapes, batched == one-by-one, float32/float64 handling, finiteness, and
determinism under a seeded generator. Raises AssertionError with the failing property.
"""

from __future__ import annotations

import torch

from .devices.protocol import FIDELITIES, DeviceModel


def check_device_model(model: DeviceModel, inputs: torch.Tensor, *, atol: float = 1e-6, seed: int = 1234) -> None:
    """Run every conformance check of ``model`` on a float64 batch of example ``inputs`` (B >= 2, ...)."""
    assert isinstance(model, DeviceModel), f"{type(model).__name__} does not implement DeviceModel"
    assert model.fidelity in FIDELITIES, f"fidelity {model.fidelity!r} not in {FIDELITIES}"
    for attr in ("input_unit", "output_unit"):
        unit = getattr(model, attr)
        assert isinstance(unit, str) and unit, f"{attr} must be a non-empty unit string (SI), got {unit!r}"
    assert inputs.shape[0] >= 2, "provide at least two inputs to check batching"
    x = inputs.to(torch.float64)

    def run(values: torch.Tensor) -> torch.Tensor:
        gen = torch.Generator(device=values.device)
        gen.manual_seed(seed)
        return model.response(values, generator=gen)

    out = run(x)
    assert out.shape[0] == x.shape[0], f"batch dimension lost: inputs {tuple(x.shape)} -> outputs {tuple(out.shape)}"
    assert torch.isfinite(out.double()).all(), "outputs contain NaN or inf"
    again = run(x)
    assert torch.equal(out, again), "same seed gave different outputs (hidden state or unseeded randomness)"
    for dtype in (torch.float32, torch.float64):
        res = run(x.to(dtype))
        assert res.dtype in (dtype, torch.bool, torch.int64), f"float input {dtype} gave output dtype {res.dtype}"
    stochastic = not torch.equal(out, model.response(x, generator=_other_generator(seed)))
    if not stochastic:
        single = torch.cat([run(x[i : i + 1]) for i in range(x.shape[0])])
        assert torch.allclose(single.double(), out.double(), atol=atol), "batched outputs differ from one-by-one outputs"


def _other_generator(seed: int) -> torch.Generator:
    gen = torch.Generator()
    gen.manual_seed(seed + 1)
    return gen
