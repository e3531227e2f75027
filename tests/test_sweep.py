"""experiments.sweep: switching probability over (current, pulse) — extremes, resume, chunking, bad specs."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mtjnn.experiments import sweep
from mtjnn.experiments.sweep import SweepSpec, execute, parse_range, read_table

NO_FIELD = (("field", 0.0),)  # no bias field: the AP state is thermally stable at 300 K over ns


def _spec(**kw) -> SweepSpec:
    base = dict(currents=(1e-6, 0.6e-3, 2e-3), pulses=(0.3e-9, 3e-9), temperature=300.0, trials=16, relax=1e-9,
                seed=3, points_per_task=2, device=NO_FIELD)
    return SweepSpec(**{**base, **kw})


def _run(spec: SweepSpec, folder, **kw) -> dict[str, np.ndarray]:
    list(execute(spec, folder, **kw))
    return read_table(folder, spec)


def test_probability_is_zero_and_one_at_the_physical_extremes(tmp_path) -> None:
    table = _run(_spec(), tmp_path)
    p = table["probability"].reshape(3, 2)
    assert np.all(p[0] == 0.0)  # 1 µA: far below the critical current
    assert p[2, 1] == 1.0  # 2 mA for 3 ns: far above it
    assert np.array_equal(table["point"], np.arange(6))
    assert np.all(table["trials"] == 16) and np.array_equal(table["switched"], (p.ravel() * 16).round())


def test_resume_after_interruption_matches_an_uninterrupted_sweep(tmp_path) -> None:
    spec = _spec()
    whole = _run(spec, tmp_path / "whole")
    part = tmp_path / "part"
    assert list(execute(spec, part, max_tasks=1)) == [0]  # "killed" after one task
    assert sweep.missing_tasks(part, spec) == [1, 2]
    (part / sweep.CHUNKS / "chunk-000000.npz.tmp").write_bytes(b"half-written")  # a task killed mid-write
    resumed = _run(spec, part)
    for column in sweep.TABLE_COLUMNS:
        assert np.array_equal(whole[column], resumed[column]), column
    (part / sweep.CHUNKS / "chunk-000002.npz").unlink()  # a lost last chunk is recomputed identically
    again = _run(spec, part)
    assert np.array_equal(whole["switched"], again["switched"])


def test_resume_refuses_a_different_spec(tmp_path) -> None:
    list(execute(_spec(), tmp_path, max_tasks=1))
    with pytest.raises(ValueError, match="different sweep spec"):
        list(execute(_spec(seed=4), tmp_path))


def test_grouping_does_not_change_deterministic_results(tmp_path) -> None:
    spec = _spec(temperature=0.0, trials=1, currents=(0.3e-3, 0.9e-3, 2e-3), pulses=(0.5e-9, 2e-9))
    ones = _run(spec, tmp_path / "one", )
    sixes = _run(SweepSpec(**{**spec.__dict__, "points_per_task": 6}), tmp_path / "six")
    assert np.array_equal(ones["switched"], sixes["switched"])
    assert ones["switched"].min() == 0 and ones["switched"].max() == 1  # the grid spans the threshold


def test_task_seeds_depend_on_seed_and_task_only() -> None:
    a, b = _spec(), _spec(trials=99, points_per_task=1)
    assert [a.task_seed(k) for k in range(3)] == [b.task_seed(k) for k in range(3)]
    assert len({a.task_seed(k) for k in range(100)}) == 100


@pytest.mark.parametrize(("kw", "name"), [
    (dict(currents=()), "currents"), (dict(pulses=()), "pulses"), (dict(trials=0), "trials"), (dict(trials=-5), "trials"),
    (dict(pulses=(0.5e-12,)), "pulses"), (dict(device=(("colour", 1.0),)), "colour"), (dict(temperature=-1.0), "temperature"),
])
def test_bad_specs_name_the_parameter(kw, name) -> None:
    with pytest.raises(ValueError, match=name):
        _spec(**kw)


@pytest.mark.parametrize("text", ["5:1:3", "1:2:0", "1:1:4", "a:b:c", "1:2"])
def test_bad_ranges(text) -> None:
    with pytest.raises(ValueError, match="currents_ua"):
        parse_range("currents_ua", text, 1e-6)


def test_bad_scheduler(tmp_path) -> None:
    with pytest.raises(ValueError, match="scheduler"):
        list(execute(_spec(), tmp_path, scheduler="host:1"))
    if importlib.util.find_spec("distributed") is None:
        with pytest.raises(ValueError, match="not installed"):
            sweep.run(_spec(), tmp_path, scheduler="local")
    else:
        with pytest.raises(ValueError, match="unreachable"):
            list(execute(_spec(), tmp_path / "x", scheduler="tcp://127.0.0.1:9"))


def test_run_writes_table_map_and_metrics(tmp_path) -> None:
    metrics = sweep.run(_spec(trials=4), tmp_path)
    out = tmp_path / sweep.JOB
    folder = next(out.iterdir())
    for name in ("table.csv", "switching_map.png", "metrics.json", "sweep.json", "config.json"):
        assert (folder / name).exists(), name
    assert metrics["points"] == 6 and metrics["junction_steps_per_s"] > 0
    resumed = sweep.run(None, tmp_path, resume=folder)
    assert resumed["tasks_resumed_from_disk"] == 3 and resumed["points_simulated_this_session"] == 0


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="dask.distributed is not installed")
def test_dask_local_cluster_matches_in_process(tmp_path) -> None:  # pragma: no cover - needs dask
    spec = _spec()
    local = _run(spec, tmp_path / "a")
    dask = _run(spec, tmp_path / "b", scheduler="local", workers=2)
    assert np.array_equal(local["switched"], dask["switched"])
