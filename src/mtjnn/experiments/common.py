"""Shared plumbing for experiments: result folders, JSON, seeding, checkpoints, one-screen summaries.

Every experiment writes ``<root>/<name>/<timestamp>/{config.json, metrics.json, *.png}``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .results import create_run_folder, reopen_run_folder, saved_config, write_config


def results_dir(name: str, root: str | Path = "results") -> Path:
    """A new, atomically created run folder ``root/name/<UTC timestamp>[-k]`` (``experiments.results``)."""
    return create_run_folder(name, root)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "to_json") and not isinstance(obj, type):  # typed records (experiments.records) name their fields
        return _jsonable(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return _jsonable(obj.detach().cpu().tolist())
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def save_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` (dataclasses, tensors and arrays allowed) as indented JSON; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(_jsonable(obj), indent=2) + "\n")
    return path


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator seeded with ``seed`` for explicit use."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


class Checkpoint:
    """Save/restore training state atomically at ``path`` so that an interrupted run resumes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def save(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None if there is no checkpoint yet."""
        if not self.path.exists():
            return None
        return torch.load(self.path, map_location="cpu", weights_only=False)


def open_run(name: str, config: Any, out_root: str | Path = "results", resume: str | Path | None = None,
             changes: dict[str, Any] | None = None) -> tuple[Path, Any]:
    """(folder, config) of a run: a fresh ``out_root/name/<stamp>`` with ``config.json`` written, or, with
    ``resume`` = a previous run folder, that folder and the config saved in its ``checkpoint.pt`` with
    ``changes`` (fields safe to change on resume, ``command.RESUME_SAFE``) applied and written to config.json."""
    if resume is None:
        out = results_dir(name, out_root)
        write_config(out, name, config)
        return out, config
    saved_config(resume, name)  # the folder belongs to this job
    saved = Checkpoint(Path(resume) / "checkpoint.pt").load()
    if saved is None:
        raise ValueError(f"resume = {str(resume)!r}: nothing to resume, no checkpoint.pt; allowed: a run folder with a checkpoint")
    out, config = reopen_run_folder(resume, name), saved["config"]
    if changes:
        config = dataclasses.replace(config, **changes)
        write_config(out, name, config)
    return out, config


def summary_table(rows: list[tuple[str, str]], title: str) -> str:
    """A one-screen, aligned two-column summary."""
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title, "-" * len(title)] + [f"{k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (figures are written to files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
