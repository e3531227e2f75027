"""Hillenbrand et al. (1995) vowel formants: the spoken-vowel task of López et al. (2024, seed 002).

The seed uses "seven spoken vowels pronounced by 37 female speakers, ... each vowel characterized by 12
characteristic frequencies called formants". We take the 12 features F1, F2, F3 at the steady state
and at 20 %, 50 % and 80 % of the vowel duration (all formant columns of ``vowdata.dat``), keep the
women (group ``w``, 48 talkers) and drop every talker with a missing (0) value in any selected feature
of any selected vowel. The seed does not name its seven vowels; exactly seven 7-vowel subsets leave 37
complete women. The default, ``DEFAULT_VOWELS = (eh, ei, ih, iy, oo, uh, uw)``, is the only one on which
the seed's 47-parameter MLP reaches its ~95 % (docs/vowels.md, "Vowel set"); it is a parameter
everywhere (``vowels=...``), and ``COMPLETE_37_SUBSETS`` lists all seven. A small copy of the table ships with the package
(``mtjnn/data/files/hillenbrand1995.csv``, provenance and licence in ``hillenbrand1995_PROVENANCE.md``),
so nothing is downloaded.

Splits (``make_splits``): 80/20 with the test share rounded up, i.e. 8 of 37 per vowel (56 test, 203
train; the seed's 96.4 % / 96.6 % are 54/56 and 196/203), either by talker (default: 8 whole talkers
held out, no talker in both sets) or stratified by sample.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..validation import check_choice, check_range
from .paths import packaged_file

PACKAGED_CSV = "hillenbrand1995.csv"
ALL_VOWELS = ("ae", "ah", "aw", "eh", "ei", "er", "ih", "iy", "oa", "oo", "uh", "uw")
GROUPS = {"m": "men", "w": "women", "b": "boys", "g": "girls"}
FORMANT_FEATURES = (
    "f1_hz", "f2_hz", "f3_hz",
    "f1_20", "f2_20", "f3_20",
    "f1_50", "f2_50", "f3_50",
    "f1_80", "f2_80", "f3_80",
)
OTHER_FEATURES = ("duration_ms", "f0_hz", "f4_hz")
DEFAULT_VOWELS = ("eh", "ei", "ih", "iy", "oo", "uh", "uw")
#: Every 7-vowel subset that leaves exactly 37 complete women with the 12 formant features.
COMPLETE_37_SUBSETS = (
    ("ae", "eh", "er", "ih", "oo", "uh", "uw"),
    ("ae", "eh", "ei", "ih", "iy", "oo", "uh"),
    ("ae", "eh", "ei", "ih", "iy", "oo", "uw"),
    ("ae", "eh", "ei", "ih", "iy", "uh", "uw"),
    ("ae", "eh", "ei", "iy", "oo", "uh", "uw"),
    ("ae", "ei", "ih", "iy", "oo", "uh", "uw"),
    ("eh", "ei", "ih", "iy", "oo", "uh", "uw"),
)
_ID_COLUMNS = ("speaker", "group", "vowel")
_REQUIRED_COLUMNS = ("speaker", "vowel")


REPETITIONS = ("all", "first", "last", "mean")


@dataclass(frozen=True)
class VowelData:
    """A vowel classification set.

    features: (S, F) float64 formant frequencies in Hz; labels: (S,) int64 index into ``vowels``;
    speakers: (S,) talker ID of every sample; feature_names: the F column names; dropped_speakers:
    talkers removed because no complete repetition (every selected value > 0) of some selected vowel
    was left; dropped_rows: rows of the kept selection not used as samples: incomplete repetitions
    (a selected value missing, i.e. 0) and, for ``repetitions`` "first" / "last" / "mean", the
    repetitions merged or left out (0 for a table with one complete row per talker and vowel).
    """

    features: np.ndarray
    labels: np.ndarray
    speakers: tuple[str, ...]
    vowels: tuple[str, ...]
    feature_names: tuple[str, ...]
    dropped_speakers: tuple[str, ...]
    dropped_rows: int = 0

    @property
    def n_classes(self) -> int:
        return len(self.vowels)

    @property
    def n_samples(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_speakers(self) -> int:
        return len(set(self.speakers))


def read_table(path: str | Path | None = None) -> list[dict[str, str]]:
    """Rows of the formant CSV at ``path`` (default: the packaged Hillenbrand copy) as dicts of strings.

    Required columns: ``speaker`` and ``vowel`` (a ``group`` column is optional; see ``load_vowels``).
    A CSV without them gives ValueError naming them.
    """
    path = packaged_file(PACKAGED_CSV) if path is None else Path(path)
    if path.is_dir():
        path = path / PACKAGED_CSV
    if not path.exists():
        raise FileNotFoundError(f"vowel table not found at {path}; expected the Hillenbrand CSV ({PACKAGED_CSV})")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        rows = list(reader)
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; allowed: a CSV with columns {list(_ID_COLUMNS)} "
                         "(group optional) + features")
    return rows


def load_vowels(
    vowels: tuple[str, ...] | list[str] = DEFAULT_VOWELS,
    group: str | None = "w",
    features: tuple[str, ...] | list[str] = FORMANT_FEATURES,
    speakers: tuple[str, ...] | list[str] | None = None,
    path: str | Path | None = None,
    repetitions: str = "all",
) -> VowelData:
    """Load the vowel task: samples of ``vowels`` by talkers of ``group`` with complete ``features``.

    Args:
        vowels: vowel codes present in the table's ``vowel`` column (``ALL_VOWELS`` for the packaged
            Hillenbrand table), >= 2, no repeats; the class index follows this order.
        group: a value of the table's ``group`` column ("w" = women, the seed's choice; "m", "b", "g" in
            the Hillenbrand table), or None = every row (required for a table without a ``group`` column).
        features: CSV columns used as features (Hz); default the 12 formant features.
        speakers: restrict to these talker IDs (each must exist in the selection); None = all of them.
        path: a formant CSV (or the folder of ``hillenbrand1995.csv``); None = the copy shipped with mtjnn.
        repetitions: several rows per (talker, vowel): "all" keeps every complete row as a sample,
            "first" / "last" keep the first / last complete row in file order, "mean" averages the
            complete rows. Incomplete rows (a selected value 0) are never used.

    Returns ``VowelData``, samples ordered by talker (sorted), vowel, then file order; what was not used
    is in ``dropped_speakers`` and ``dropped_rows``.
    Raises ValueError (naming the value and what is allowed) for an unknown vowel, group, speaker,
    feature or repetitions policy, a CSV without a requested column, or a selection that leaves no
    complete talker.
    """
    vowels = tuple(vowels)
    features = tuple(features)
    check_choice("repetitions", repetitions, REPETITIONS)
    if len(set(vowels)) != len(vowels) or len(vowels) < 2:
        raise ValueError(f"vowels = {list(vowels)} must name >= 2 distinct vowels")
    if not features or len(set(features)) != len(features):
        raise ValueError(f"features = {list(features)} must be a non-empty list of distinct column names")
    rows = read_table(path)
    header = rows[0].keys() if rows else ()
    missing = [f for f in features if f not in header]
    if missing:
        known = [c for c in header if c not in _ID_COLUMNS]
        raise ValueError(f"features {missing} are not columns of the vowel table; allowed: {known}")
    if group is not None:
        if "group" not in header:
            raise ValueError(f"group = {group!r} but the vowel table has no 'group' column; allowed: group=None")
        present = sorted({r["group"] for r in rows})
        if group not in present:
            named = [f"{g} ({GROUPS[g]})" if g in GROUPS else g for g in present]
            raise ValueError(f"group = {group!r} is not allowed; allowed: {named} or None (all rows)")
        rows = [r for r in rows if r["group"] == group]
    known_vowels = sorted({r["vowel"] for r in rows})
    unknown = [v for v in vowels if v not in known_vowels]
    if unknown:
        raise ValueError(f"vowels contains unknown codes {unknown}; allowed: {known_vowels}")
    all_speakers = sorted({r["speaker"] for r in rows})
    if speakers is not None:
        bad = [s for s in speakers if s not in all_speakers]
        if bad:
            raise ValueError(f"speakers {bad} are not in group {group!r}; allowed: {all_speakers}")
        chosen = sorted(set(speakers))
    else:
        chosen = all_speakers
    table: dict[tuple[str, str], list[list[float]]] = {}
    selected = dict.fromkeys(chosen, 0)  # rows of every talker for the selected vowels
    for r in rows:
        if r["vowel"] in vowels and r["speaker"] in chosen:
            try:
                values = [float(r[f]) for f in features]
            except ValueError as err:
                raise ValueError(f"speaker {r['speaker']} vowel {r['vowel']}: non-numeric feature value ({err})") from None
            selected[r["speaker"]] += 1
            if min(values) > 0:  # 0 = not measurable
                table.setdefault((r["speaker"], r["vowel"]), []).append(values)
    complete = [s for s in chosen if all((s, v) in table for v in vowels)]
    dropped = tuple(s for s in chosen if s not in complete)
    if not complete:
        raise ValueError(
            f"no talker of group {group!r} has every feature {list(features)} for vowels {list(vowels)} "
            "(0 = not measurable); allowed: a selection with at least one complete talker"
        )
    pick = {"all": lambda reps: reps, "first": lambda reps: reps[:1], "last": lambda reps: reps[-1:],
            "mean": lambda reps: [np.mean(reps, axis=0).tolist()]}[repetitions]
    x, y, spk = [], [], []
    for s in complete:
        for k, v in enumerate(vowels):
            kept = pick(table[(s, v)])
            x.extend(kept)
            y.extend([k] * len(kept))
            spk.extend([s] * len(kept))
    dropped_rows = sum(selected[t] for t in complete) - len(x)
    return VowelData(np.array(x, dtype=np.float64), np.array(y, dtype=np.int64), tuple(spk), vowels, features, dropped,
                     dropped_rows)


SPLIT_BY = ("speaker", "sample")


def _test_count(fraction: float, n: int) -> int:
    """Test share of n items: ceil(fraction * n), at least 1 and at most n - 1.

    ceil, not round: with 37 talkers per vowel, 20 % gives 8 test samples per vowel (56 of 259, train 203),
    the only split size for which the seed's 96.4 % test / 96.6 % train are counts (54/56, 196/203).
    """
    return int(min(max(math.ceil(fraction * n - 1e-9), 1), n - 1))


def stratified_splits(
    labels: np.ndarray, n_splits: int = 10, test_fraction: float = 0.2, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_splits`` seeded random stratified train/test splits of sample indices.

    In split ``i`` (generator seeded with ``seed + i``), each class contributes
    ``ceil(test_fraction * n_class)`` random samples to the test set (at least 1, at most n_class - 1),
    the rest to the training set. Returns a list of (train_idx, test_idx) sorted int64 arrays.
    """
    labels = np.asarray(labels)
    check_range("n_splits", n_splits, 1, 10_000)
    check_range("test_fraction", test_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"class {classes[counts.argmin()]!r} has {counts.min()} sample(s); allowed: >= 2 per class to split")
    splits = []
    for i in range(n_splits):
        rng = np.random.default_rng(seed + i)
        test = []
        for c, n in zip(classes, counts):
            idx = rng.permutation(np.flatnonzero(labels == c))
            test.extend(idx[: _test_count(test_fraction, int(n))].tolist())
        test_idx = np.array(sorted(test), dtype=np.int64)
        train_idx = np.setdiff1d(np.arange(labels.shape[0]), test_idx).astype(np.int64)
        splits.append((train_idx, test_idx))
    return splits


def speaker_splits(
    speakers: tuple[str, ...] | list[str] | np.ndarray, n_splits: int = 10, test_fraction: float = 0.2, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_splits`` seeded random splits that hold out whole talkers.

    In split ``i`` (generator seeded with ``seed + i``), ``ceil(test_fraction * n_speakers)`` random
    talkers (at least 1, at most n_speakers - 1) give all their samples to the test set; no talker is in
    both sets. With complete talkers (every talker has every vowel, as ``load_vowels`` guarantees) the
    split is also stratified: 8 of 37 talkers -> 8 test samples per vowel. Returns sorted int64 arrays.
    """
    spk = np.asarray(speakers)
    check_range("n_splits", n_splits, 1, 10_000)
    check_range("test_fraction", test_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    names = np.unique(spk)
    if names.size < 2:
        raise ValueError(f"{names.size} talker(s); allowed: >= 2 talkers to split by speaker")
    splits = []
    for i in range(n_splits):
        rng = np.random.default_rng(seed + i)
        held = rng.permutation(names)[: _test_count(test_fraction, int(names.size))]
        mask = np.isin(spk, held)
        splits.append((np.flatnonzero(~mask).astype(np.int64), np.flatnonzero(mask).astype(np.int64)))
    return splits


def make_splits(
    data: VowelData, n_splits: int = 10, test_fraction: float = 0.2, seed: int = 0, split_by: str = "speaker"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test splits of ``data``: ``split_by`` = "speaker" (whole talkers held out, the default) or
    "sample" (stratified by vowel; a talker's other vowels may be in the training set)."""
    check_choice("split_by", split_by, SPLIT_BY)
    if split_by == "speaker":
        return speaker_splits(data.speakers, n_splits, test_fraction, seed)
    return stratified_splits(data.labels, n_splits, test_fraction, seed)
