"""`mtjnn sweep robustness iris|xor`: the batched chip draws equal the networks built one chip at a time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mtjnn.circuits.neuron_circuit import NeuronCircuitParams
from mtjnn.devices.activation import Variability, draw_devices
from mtjnn.experiments.sweep_robustness import RobustnessSpec, robustness_table
from mtjnn.experiments.sweep_robustness_iris import iris_accuracy_draws, train_iris_mlp
from mtjnn.experiments.sweep_robustness_xor import VARIED, draw_circuits, simulate_per_neuron, train_xor_network, xor_accuracy_draws
from mtjnn.nn.analog_training import evaluate
from mtjnn.nn.spike_timing import evaluate_layerwise


@pytest.fixture(scope="module")
def iris():  # a short training without read noise (~1 s)
    return train_iris_mlp(seed=0, read_noise=0.0, epochs=60)


@pytest.fixture(scope="module")
def xor():  # 8 broad initialisations, 30 epochs (~2 s)
    return train_xor_network(seed=0)


def test_iris_without_spread_every_chip_is_the_trained_network(iris) -> None:
    _, nominal = evaluate(iris["model"], iris["x"], iris["y"], torch.Generator().manual_seed(1))
    assert nominal == pytest.approx(iris["nominal_accuracy"]) and nominal > 0.8
    assert np.all(iris_accuracy_draws(iris, 5, 0.0, seed=3) == pytest.approx(nominal))


def test_iris_batched_draws_equal_the_network_with_each_chip_loaded(iris) -> None:
    draws, sigma, seed = 6, 0.2, 11
    acc = iris_accuracy_draws(iris, draws, sigma, seed)
    model = iris["model"]
    h = model.config.hidden[0]
    chips = draw_devices(model.config.device, Variability.uniform(sigma), draws * h, torch.Generator().manual_seed(seed))
    layer = model.neurons[0]
    saved = {n: getattr(layer, n) for n in ("hk", "tmr", "r_p", "offset_field")}
    try:  # new buffer tensors (MTJLayer rebuilds its device model when a buffer is replaced)
        for d in range(draws):
            for n in saved:
                setattr(layer, n, getattr(chips, n)[d * h : (d + 1) * h].to(saved[n].dtype).clone())
            _, one = evaluate(model, iris["x"], iris["y"], torch.Generator())
            assert acc[d] == pytest.approx(one), d
    finally:
        for n, v in saved.items():
            setattr(layer, n, v)
    assert len(set(acc.tolist())) > 1  # the chips differ


def test_xor_per_neuron_simulation_equals_the_layerwise_network_when_all_neurons_match(xor) -> None:
    net, task = xor["network"], xor["task"]
    times, labels, _ = task.patterns()
    nominal = evaluate_layerwise(xor["wh"], xor["wo"], times, net, fidelity="compact")
    assert bool(task.correct(nominal, labels).all())  # the deployed network solves XOR
    off = NeuronCircuitParams(device=dataclasses.replace(net.circuit.device, hk=5.5e-3))
    ref = evaluate_layerwise(xor["wh"], xor["wo"], times, dataclasses.replace(net, circuit=off), fidelity="compact")
    mine = simulate_per_neuron(xor["wh"], xor["wo"], times, net, [off] * 3)
    assert torch.equal(mine.spiked, ref.spiked) and torch.allclose(mine.time, ref.time, rtol=0, atol=1e-15)
    assert not torch.allclose(mine.time, nominal.time, rtol=1e-4, atol=0)  # H_K matters


def test_xor_draws_spread_each_parameter_per_neuron() -> None:
    nominal = NeuronCircuitParams()
    circuits = draw_circuits(nominal, 400, 3, 0.1, torch.Generator().manual_seed(0))
    for part, name in VARIED:
        values = np.array([[getattr(getattr(c, part), name) for c in row] for row in circuits]) / getattr(getattr(nominal, part), name)
        assert values.mean() == pytest.approx(1.0, abs=0.02) and values.std() == pytest.approx(0.1, rel=0.1), name
        assert np.unique(values[0]).size == 3  # each neuron its own device


def test_xor_accuracy_falls_with_spread(xor) -> None:
    spec = RobustnessSpec(task="xor", sigmas=(0.0, 0.2), draws=40)
    table = robustness_table(xor, spec)
    assert table["mean"][0] == 1.0 and table["p05"][0] == 1.0  # no spread: the trained network
    assert table["ci_high"][1] < 1.0 and table["p05"][1] < 1.0  # 20 % spread breaks some chips
    alone = xor_accuracy_draws(xor, 40, 0.2, spec.point_seed(0, 1))
    assert alone.mean() == pytest.approx(table["mean"][1])


def test_xor_run_writes_the_table_at_zero_kelvin(tmp_path, xor, monkeypatch) -> None:
    from mtjnn.experiments import sweep_robustness

    monkeypatch.setattr(sweep_robustness, "train_xor_network", lambda seed, inits: xor)
    metrics = sweep_robustness.run_robustness(RobustnessSpec(task="xor", sigmas=(0.0, 0.1), draws=4), tmp_path)
    assert metrics["points"] == 2 and metrics["table"]["temperature"] == [0.0, 0.0] and metrics["test_samples"] == 4
    assert metrics["training"]["inits"] == 8
    folder = next((tmp_path / sweep_robustness.JOB).iterdir())
    assert (folder / "robustness.png").exists() and (folder / "table.parquet").exists()
