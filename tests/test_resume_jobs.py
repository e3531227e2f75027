"""Kill and resume every job that checkpoints (issue 11): a run killed with SIGKILL, resumed, interrupted with
SIGINT (Ctrl-C), resumed again ends with the same results as an uninterrupted run; a resume with a
contradicting option is refused, listing the saved value; options declared safe (``command.RESUME_SAFE``) change a
resumed run into exactly the run started with them; commands without a checkpoint refuse ``--resume``.

The signals are real and deterministic (``checkpoint_signals.run_until_checkpoint``: the process signals itself
when a checkpoint is about to be written, i.e. after a unit of work has been computed but not saved).
(The vowel experiment's version is in ``tests/test_results_layer.py``.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from checkpoint_signals import run_until_checkpoint
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.experiments.results import create_run_folder, finish_runs

needs_data = pytest.mark.skipif(not os.environ.get("MTJNN_DATA"), reason="MTJNN_DATA not set (CI sets it to ../shared/data)")

#: job -> (command-line options of a tiny run, checkpoints saved before SIGKILL, then before SIGINT)
JOBS = {
    "iris": (["--hidden", "4", "--epochs", "4", "--batch-size", "16", "--seeds", "2", "--folds", "2", "--no-compare",
              "--no-sweep"], 1, 1),
    "mnist": (["--hidden", "8", "--epochs", "3", "--batch-size", "50", "--train-subset", "200", "--test-subset", "100"], 1, 0),
    "cifar10": (["--neuron", "ideal,binary", "--epochs", "2", "--train-per-class", "6", "--test-per-class", "2",
                 "--batch-size", "18", "--budget-min", "0"], 1, 1),
}
#: metrics that depend on the wall clock or on the session, not on the computation
_CLOCK = ("wall_time_s", "epoch_s", "wall_time_s_total", "seconds_per_epoch", "epoch_time_s", "torch_threads", "output_dir", "status", "reason")


def _computed(metrics):
    """``metrics`` without what depends on the wall clock (recursively)."""
    if isinstance(metrics, dict):
        return {k: _computed(v) for k, v in metrics.items() if k not in _CLOCK}
    if isinstance(metrics, list):
        return [_computed(v) for v in metrics]
    return metrics


def _job_folder(out: Path, job: str) -> Path:
    (folder,) = (out / job).iterdir()
    return folder


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@needs_data
@pytest.mark.parametrize("job", sorted(JOBS))
def test_killed_then_interrupted_run_resumes_to_the_uninterrupted_result(job, tmp_path, restore_threads):
    options, kill_after, interrupt_after = JOBS[job]
    args = ["run", job, *options]
    killed = run_until_checkpoint(args, kill_after, "SIGKILL", tmp_path / "cut")
    assert killed.returncode == -9, killed.stderr[-2000:]
    folder = _job_folder(tmp_path / "cut", job)
    assert json.loads((folder / "run.json").read_text())["status"] == "running"  # never marked complete
    assert not (folder / "metrics.json").exists() or json.loads((folder / "metrics.json").read_text()).get("status") != "complete"
    interrupted = run_until_checkpoint(["run", job, "--resume", str(folder)], interrupt_after, "SIGINT", tmp_path / "cut")
    assert interrupted.returncode == 130, interrupted.stderr[-2000:]
    assert f"--resume {folder}" in interrupted.stderr and "Traceback" not in interrupted.stderr
    assert json.loads((folder / "run.json").read_text())["status"] == "interrupted"
    finished = CliRunner().invoke(app, ["run", job, "--resume", str(folder)])
    assert finished.exit_code == 0, finished.output
    reference = CliRunner().invoke(app, args + ["--out", str(tmp_path / "ref")])
    assert reference.exit_code == 0, reference.output
    got = json.loads((folder / "metrics.json").read_text())
    want = json.loads((_job_folder(tmp_path / "ref", job) / "metrics.json").read_text())
    assert got["status"] == "complete" and len(json.loads((folder / "run.json").read_text())["sessions"]) == 3
    assert _computed(got) == _computed(want)
    config = json.loads((folder / "config.json").read_text())
    assert config["job"] == job and {"mtjnn", "git_commit", "command", "host"} <= set(config["provenance"])
    assert config["units"] and "?" not in config["units"].values()
    assert got["wall_time_s_total"] == json.loads((folder / "run.json").read_text())["wall_time_s"] > 0  # all three sessions


@pytest.mark.parametrize("job, option, value", [("iris", "--seed", "3"), ("mnist", "--epochs", "40"), ("cifar10", "--epochs", "9"),
                                                ("cifar10-dvs", "--seed", "5"), ("vowels", "--splits", "4")])
def test_a_contradicting_option_is_refused_listing_the_saved_value(job, option, value, tmp_path):
    folder = create_run_folder(job, tmp_path)
    saved = {"seed": 0, "epochs": 2, "splits": 1}
    config = {"train": saved} if job in ("iris", "mnist") else saved
    (folder / "config.json").write_text(json.dumps({**config, "job": job}))
    finish_runs("complete")
    refused = CliRunner().invoke(app, ["run", job, "--resume", str(folder), option, value])
    text = " ".join(refused.output.split())
    assert refused.exit_code == 2 and f"{option} {value} (saved: " in text and "Traceback" not in text, text
    if job != "iris":
        return
    # the saved value again is no contradiction: it passes the rule (and stops later: this folder has no checkpoint)
    same = CliRunner().invoke(app, ["run", job, "--resume", str(folder), option, "0"])
    assert "refused" not in same.output and "nothing to resume" in " ".join(same.output.split())


@pytest.mark.parametrize("command", [["simulate"], ["neuron"], ["run", "xor"], ["run", "signed-lif"]])
def test_commands_without_a_checkpoint_refuse_resume_saying_why(command, tmp_path):
    result = CliRunner().invoke(app, command + ["--resume", str(tmp_path)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "keeps no checkpoint" in text and "run it again" in text, text


def test_iris_resume_with_more_seeds_equals_the_longer_run(tmp_path, restore_threads):
    base = ["run", "iris", "--hidden", "4", "--epochs", "3", "--batch-size", "16", "--folds", "2", "--no-compare", "--no-sweep"]
    first = CliRunner().invoke(app, base + ["--seeds", "1", "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    folder = _job_folder(tmp_path / "a", "iris")
    extended = CliRunner().invoke(app, ["run", "iris", "--resume", str(folder), "--seeds", "2"])
    assert extended.exit_code == 0, extended.output
    straight = CliRunner().invoke(app, base + ["--seeds", "2", "--out", str(tmp_path / "b")])
    assert straight.exit_code == 0, straight.output
    got = json.loads((folder / "metrics.json").read_text())
    want = json.loads((_job_folder(tmp_path / "b", "iris") / "metrics.json").read_text())
    assert got["models"]["fd"]["test_acc"]["n"] == 4 and _computed(got) == _computed(want)
    assert json.loads((folder / "config.json").read_text())["seeds"] == 2  # the change is recorded
