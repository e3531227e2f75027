"""The results layer shared by every job: run folders, provenance, status and cumulative wall time.

A run lives in ``<root>/<job>/<UTC stamp>[-k]``, created atomically (``os.mkdir`` fails if it exists, so two
runs started in the same second get ``<stamp>`` and ``<stamp>-2``). ``run.json`` in the folder records the
job, its ``status`` ("running", "complete", "failed" with a ``reason``, "interrupted"), the cumulative wall
time over every session that worked on it (a resume adds a session) and each session's provenance (mtjnn
version, git commit, library versions, command line, host, start time). ``config.json`` carries the job
name and the first session's provenance next to the configuration; when a job finishes, the status and
the cumulative wall time are copied into its ``metrics.json``.

Jobs open folders through ``create_run_folder`` / ``reopen_run_folder``; the command-line layer calls
``finish_runs`` once the command returns or fails, so every job gets the same bookkeeping.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"
#: Config fields added by the results layer (a job's own configuration never uses these names).
RESERVED_CONFIG_KEYS = ("job", "provenance", "units")

_open: dict[Path, float] = {}  # run folders this process works on -> session start (perf_counter)


def provenance() -> dict[str, Any]:
    """Where and with what a result was made: versions, git commit, command line, host, UTC time."""
    from importlib.metadata import PackageNotFoundError, version

    import numpy
    import torch

    try:
        mtjnn_version = version("mtjnn")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        mtjnn_version = None
    info: dict[str, Any] = {
        "mtjnn": mtjnn_version,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "command": sys.argv,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "started_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        info["numba"] = None
    return info


def _git_commit() -> str | None:
    """The commit of the source tree mtjnn runs from (with "+dirty" if it has changes), or None."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True,
                               text=True, timeout=5)
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomic JSON write (a reader never sees half a file)."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def create_run_folder(job: str, root: str | Path = "results") -> Path:
    """Create ``root/job/<UTC stamp>`` atomically (``-2``, ``-3``, ... if taken) and start its run record."""
    parent = Path(root) / job
    if parent.exists() and not parent.is_dir():
        raise ValueError(f"out = {str(root)!r}: {parent} is a file; allowed: a folder (or a path that does not exist yet)")
    parent.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    for k in range(1, 10_000):
        path = parent / (stamp if k == 1 else f"{stamp}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        _start_session(path, job)
        return path
    raise RuntimeError(f"no free run folder under {parent} for stamp {stamp}")  # pragma: no cover


def reopen_run_folder(folder: str | Path, job: str) -> Path:
    """An existing run folder of ``job`` to continue; ValueError if it is missing or belongs to another job."""
    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"resume = {str(path)!r} is not a folder; allowed: a results/{job}/<stamp> folder of this command")
    _check_job(path, job)
    _start_session(path, job)
    return path


def _check_job(folder: Path, job: str) -> None:
    """ValueError unless ``folder`` is a run of ``job``: run.json's or config.json's ``job``, or, for folders
    written before those existed, the parent folder's name (results/<job>/<stamp>)."""
    saved = _read(folder / RUN_FILE).get("job") or _read(folder / "config.json").get("job") or folder.parent.name
    if saved != job:
        raise ValueError(f"resume = {str(folder)!r} is a {saved!r} run; allowed: a folder of a {job!r} run")


def _start_session(path: Path, job: str) -> None:
    record = _read(path / RUN_FILE) or {"job": job, "wall_time_s": 0.0, "sessions": []}
    record.update(status="running", reason=None)
    record["sessions"].append(provenance())
    _write(path / RUN_FILE, record)
    _open[path] = time.perf_counter()


def write_config(folder: str | Path, job: str, config: Any) -> Path:
    """config.json: the job's configuration (dataclasses, tensors allowed) plus ``job``, ``units`` (the unit of
    every numeric field, ``experiments.units``) and the first session's ``provenance``."""
    from .common import _jsonable
    from .units import config_units

    folder = Path(folder)
    data = _jsonable(config)
    clash = [k for k in RESERVED_CONFIG_KEYS if isinstance(data, dict) and k in data]
    if clash:
        raise ValueError(f"config fields {clash} are reserved by the results layer; allowed: other names")
    sessions = _read(folder / RUN_FILE).get("sessions") or [provenance()]
    _write(folder / "config.json", {**(data if isinstance(data, dict) else {"config": data}), "job": job, "units": config_units(config, job),
                                    "provenance": sessions[0]})
    return folder / "config.json"


def saved_config(folder: str | Path, job: str) -> dict[str, Any]:
    """The configuration fields saved in a run folder of ``job`` (ValueError for a missing config.json or a
    folder of another job)."""
    folder = Path(folder)
    path = folder / "config.json"
    _check_job(folder, job)
    if not path.exists():
        raise ValueError(f"resume = {str(folder)!r} holds no config.json; allowed: a results/{job}/<stamp> folder of this command")
    return job_config(_read(path))


def job_config(data: dict[str, Any]) -> dict[str, Any]:
    """A config.json's own fields, without what the results layer added."""
    return {k: v for k, v in data.items() if k not in RESERVED_CONFIG_KEYS}


def finish_runs(status: str, reason: str | None = None) -> list[Path]:
    """Close every run folder this process opened: status, reason and cumulative wall time into run.json and
    (when the job wrote one) metrics.json. Returns the folders."""
    closed = []
    for path, started in list(_open.items()):
        record = _read(path / RUN_FILE)
        record.update(status=status, reason=reason, wall_time_s=float(record.get("wall_time_s", 0.0)) + time.perf_counter() - started)
        _write(path / RUN_FILE, record)
        metrics = _read(path / "metrics.json")
        if metrics or status == "complete":
            metrics.update(status=status, reason=reason, wall_time_s_total=record["wall_time_s"])
            _write(path / "metrics.json", metrics)
        closed.append(path)
        del _open[path]
    return closed
