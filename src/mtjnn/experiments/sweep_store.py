"""Chunked, resumable storage of a sweep: one Parquet file per finished task plus ``sweep.json``.

``chunks/<task name>.parquet`` (``r<round>-t<task>``) holds the task's rows (``sweep_task.CHUNK_COLUMNS``)
and, in the Parquet schema metadata under ``mtjnn.sweep``, the sweep spec, the task's segments, the seeding rule and
the library versions, so a chunk file alone says how it was made. A chunk is written to a temporary name and
renamed atomically: a task killed mid-write leaves no chunk, only a ``.tmp`` file that is ignored and
overwritten. ``sweep.json`` holds the spec, the columns and the provenance of the first session; a resumed
sweep checks its spec against it and runs only the tasks without a chunk file.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .common import save_json
from .results import provenance
from .sweep_spec import SweepSpec, Task
from .sweep_task import CHUNK_COLUMNS, SEEDING

MANIFEST = "sweep.json"
CHUNKS = "chunks"
METADATA_KEY = b"mtjnn.sweep"


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the sweep and test extras
        raise ValueError("the sweep table needs pyarrow, which is not installed; allowed: pip install 'mtjnn[sweep]'") from None
    return pa, pq


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, Any]:
    info = provenance()
    return {k: info.get(k) for k in ("mtjnn", "git_commit", "python", "torch", "numpy", "numba")}


def _spec_data(spec: SweepSpec) -> dict[str, Any]:
    return json.loads(json.dumps(spec.to_dict()))


def chunk_path(folder: Path, task: Task) -> Path:
    return Path(folder) / CHUNKS / f"{task.name}.parquet"


def open_manifest(folder: str | Path, spec: SweepSpec) -> None:
    """Write ``sweep.json`` for a new sweep, or check that a resumed folder holds the same spec."""
    folder = Path(folder)
    path = folder / MANIFEST
    if path.exists():
        manifest = json.loads(path.read_text())
        if manifest["spec"] != _spec_data(spec):
            raise ValueError(f"resume = {str(folder)!r} holds a different sweep spec; allowed: the spec saved in {MANIFEST}")
        if manifest.get("seeding") != SEEDING:  # chunks from an engine that drew its noise otherwise
            raise ValueError(f"resume = {str(folder)!r} was seeded with {manifest.get('seeding')!r}, this mtjnn seeds with "
                             f"{SEEDING!r}; allowed: a sweep made by the same noise scheme (start a new one)")
        return
    (folder / CHUNKS).mkdir(parents=True, exist_ok=True)
    save_json(path, {"spec": _spec_data(spec), "columns": list(CHUNK_COLUMNS),
                     "chunk_format": "Parquet, one file per finished task (chunks/r<round>-t<task>.parquet); "
                                     "schema metadata 'mtjnn.sweep': spec, segments, seeding, versions",
                     "seeding": SEEDING, "versions": provenance()})


def write_chunk(folder: str | Path, spec: SweepSpec, task: Task, rows: dict[str, np.ndarray]) -> Path:
    """Write one finished task atomically (temporary file, then rename)."""
    pa, pq = _pyarrow()
    meta = {"spec": _spec_data(spec), "task": task.name, "seeding": SEEDING,
            "segments": [[s.point, s.first, s.trials] for s in task.segments], "versions": _versions()}
    table = pa.table({c: np.asarray(rows[c], dtype=np.int64) for c in CHUNK_COLUMNS})
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    path = chunk_path(Path(folder), task)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def is_finished(folder: str | Path, task: Task) -> bool:
    return chunk_path(Path(folder), task).exists()


def read_chunks(folder: str | Path, tasks: list[Task]) -> dict[str, np.ndarray]:
    """The rows of the finished chunks of ``tasks`` (all must be finished), concatenated in task order."""
    _, pq = _pyarrow()
    missing = [t.name for t in tasks if not is_finished(folder, t)]
    if missing:
        raise ValueError(f"{str(folder)!r}: tasks {missing[:5]} not finished; allowed: a complete sweep (resume it)")
    parts = [pq.read_table(chunk_path(Path(folder), t)) for t in tasks]
    if not parts:
        return {c: np.zeros(0, dtype=np.int64) for c in CHUNK_COLUMNS}
    return {c: np.concatenate([p.column(c).to_numpy() for p in parts]) for c in CHUNK_COLUMNS}


def chunk_metadata(path: str | Path) -> dict[str, Any]:
    """The ``mtjnn.sweep`` metadata of one chunk file (spec, task, segments, seeding, versions)."""
    _, pq = _pyarrow()
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])
