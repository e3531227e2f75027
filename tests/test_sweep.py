"""experiments.sweep: switching probability over (current, pulse) — extremes, chunks, resume, layout, bad specs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mtjnn.experiments import sweep
from mtjnn.experiments.sweep import SweepSpec, execute, parse_range, read_table
from mtjnn.experiments.sweep_spec import Segment, junction_keys, pack_tasks
from mtjnn.experiments.sweep_store import chunk_metadata

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
    assert np.array_equal(table["wer"], 1 - table["probability"])
    assert np.all((table["wer_low"] <= table["wer"]) & (table["wer"] <= table["wer_high"]))


def test_chunks_are_parquet_files_carrying_spec_seed_and_versions(tmp_path) -> None:
    spec = _spec()
    _run(spec, tmp_path)
    files = sorted((tmp_path / sweep.CHUNKS).glob("*.parquet"))
    assert [f.name for f in files] == ["r00-t000000.parquet", "r00-t000001.parquet", "r00-t000002.parquet"]
    meta = chunk_metadata(files[1])
    assert meta["spec"] == json.loads(json.dumps(spec.to_dict()))
    assert meta["segments"] == [[2, 0, 16], [3, 0, 16]] and "philox" in meta["seeding"]
    assert meta["versions"]["torch"] and "numpy" in meta["versions"]
    manifest = json.loads((tmp_path / sweep.MANIFEST).read_text())
    assert manifest["spec"] == meta["spec"] and "versions" in manifest


def test_resume_after_interruption_matches_an_uninterrupted_sweep(tmp_path) -> None:
    spec = _spec()
    whole = _run(spec, tmp_path / "whole")
    part = tmp_path / "part"
    assert [t.index for t in execute(spec, part, max_tasks=1)] == [0]  # "killed" after one task
    with pytest.raises(ValueError, match="not finished"):
        read_table(part, spec)
    (part / sweep.CHUNKS / "r00-t000001.parquet.tmp").write_bytes(b"half-written")  # a task killed mid-write
    resumed = _run(spec, part)
    for column in sweep.TABLE_COLUMNS:
        assert np.array_equal(whole[column], resumed[column]), column
    (part / sweep.CHUNKS / "r00-t000002.parquet").unlink()  # a lost last chunk is recomputed identically
    again = _run(spec, part)
    assert np.array_equal(whole["switched"], again["switched"])


def test_resume_refuses_a_different_spec(tmp_path) -> None:
    list(execute(_spec(), tmp_path, max_tasks=1))
    with pytest.raises(ValueError, match="different sweep spec"):
        list(execute(_spec(seed=4), tmp_path))


def test_grouping_does_not_change_deterministic_results(tmp_path) -> None:
    spec = _spec(temperature=0.0, trials=1, currents=(0.3e-3, 0.9e-3, 2e-3), pulses=(0.5e-9, 2e-9))
    ones = _run(spec, tmp_path / "one")
    sixes = _run(dataclasses.replace(spec, points_per_task=6), tmp_path / "six")
    assert np.array_equal(ones["switched"], sixes["switched"])
    assert ones["switched"].min() == 0 and ones["switched"].max() == 1  # the grid spans the threshold


def test_junction_keys_depend_on_seed_point_and_trial_only() -> None:
    points, trials = np.repeat(np.arange(50), 200), np.tile(np.arange(200), 50)
    keys = junction_keys(7, points, trials)
    assert keys.dtype == np.int64 and len(np.unique(keys)) == keys.size
    assert np.array_equal(junction_keys(7, points[::-1], trials[::-1]), keys[::-1])  # elementwise: any order, any task
    assert not np.any(junction_keys(8, points, trials) == keys)
    assert not np.any(junction_keys(7, points, trials, phase=1) == keys)  # the relax phase has its own stream


def test_grouping_does_not_change_thermal_results_with_per_junction_keys(tmp_path) -> None:
    spec = _spec(currents=(0.4e-3, 0.6e-3, 0.8e-3), pulses=(0.5e-9, 2e-9), trials=24)
    twos = _run(spec, tmp_path / "two")
    sixes = _run(dataclasses.replace(spec, points_per_task=6), tmp_path / "six")
    ones = _run(dataclasses.replace(spec, points_per_task=1), tmp_path / "one")
    assert np.array_equal(twos["switched"], sixes["switched"]) and np.array_equal(twos["switched"], ones["switched"])
    assert 0 < twos["switched"].sum() < twos["trials"].sum() and np.any((twos["switched"] > 0) & (twos["switched"] < 24))
    other = _run(dataclasses.replace(spec, seed=4), tmp_path / "other")
    assert not np.array_equal(other["switched"], twos["switched"])  # the noise is really drawn


def test_pack_tasks_splits_segments_at_the_capacity() -> None:
    tasks = pack_tasks(2, [Segment(0, 10, 5), Segment(7, 0, 12)], capacity=8)
    assert [t.segments for t in tasks] == [(Segment(0, 10, 5), Segment(7, 0, 3)), (Segment(7, 3, 8),), (Segment(7, 11, 1),)]
    assert [t.name for t in tasks] == ["r02-t000000", "r02-t000001", "r02-t000002"]


@pytest.mark.parametrize(("kw", "name"), [
    (dict(currents=()), "currents"), (dict(pulses=()), "pulses"), (dict(trials=0), "trials"), (dict(trials=-5), "trials"),
    (dict(trials=2.5), "trials"), (dict(pulses=(0.5e-12,)), "pulses"), (dict(device=(("colour", 1.0),)), "colour"),
    (dict(temperature=-1.0), "temperature"), (dict(wer_floor=0.7), "wer_floor"), (dict(max_trials=3), "max_trials"),
    (dict(points_per_task=0), "points_per_task"), (dict(currents=(0.5,)), "currents"), (dict(seed=-1), "seed"),
])
def test_bad_specs_name_the_parameter(kw, name) -> None:
    with pytest.raises(ValueError, match=name):
        _spec(**kw)


@pytest.mark.parametrize("text", ["5:1:3", "1:2:0", "1:1:4", "a:b:c", "1:2"])
def test_bad_ranges(text) -> None:
    with pytest.raises(ValueError, match="currents_ua"):
        parse_range("currents_ua", text, 1e-6)


@pytest.mark.parametrize(("scheduler", "workers", "match"), [
    ("host:1", None, "scheduler"), (None, 2, "workers"), ("local", 0, "workers"), ("tcp://h:1", 3, "workers"),
])
def test_bad_scheduler_options(tmp_path, scheduler, workers, match) -> None:
    with pytest.raises(ValueError, match=match):
        list(execute(_spec(), tmp_path, scheduler=scheduler, workers=workers))
    assert not (tmp_path / sweep.MANIFEST).exists()  # refused before any work


def test_auto_scheduler_keeps_small_sweeps_in_process(tmp_path) -> None:
    lines: list[str] = []
    _run(_spec(), tmp_path, scheduler="auto", report=lines.append)
    assert lines and lines[0].startswith("running on in-process")


def test_run_writes_tables_fits_map_and_metrics(tmp_path, capsys) -> None:
    metrics = sweep.run(_spec(trials=4), tmp_path)
    folder = next((tmp_path / sweep.JOB).iterdir())
    for name in ("table.csv", "table.parquet", "fits.json", "switching_map.png", "metrics.json", "sweep.json", "config.json"):
        assert (folder / name).exists(), name
    assert metrics["points"] == 6 and metrics["junction_steps_per_s"] > 0 and metrics["trials_total"] == 24
    assert "junction-steps/s" in capsys.readouterr().out
    resumed = sweep.run(None, tmp_path, resume=folder)
    assert resumed["tasks_resumed_from_disk"] == 3 and resumed["tasks_run_this_session"] == 0
