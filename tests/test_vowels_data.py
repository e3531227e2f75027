"""Hillenbrand vowel loader and splits (seed 002 task): counts, subsets, errors on bad input."""

from __future__ import annotations

import csv
import hashlib

import numpy as np
import pytest

from mtjnn.data.paths import packaged_file
from mtjnn.data.vowels import (
    COMPLETE_37_SUBSETS,
    DEFAULT_VOWELS,
    FORMANT_FEATURES,
    load_vowels,
    make_splits,
    read_table,
    speaker_splits,
    stratified_splits,
)


def test_packaged_csv_is_the_documented_file():
    digest = hashlib.sha256(packaged_file("hillenbrand1995.csv").read_bytes()).hexdigest()
    assert digest == "ca2fe06c846852d2ec412e5400383dc4fd62ed2f2922a1bff9ca3f2784acee5e"
    assert packaged_file("hillenbrand1995_PROVENANCE.md").read_text().count("(c) 1995 James Hillenbrand") == 1
    assert len(read_table()) == 1668


def test_default_selection_is_37_women_7_vowels_12_formants():
    data = load_vowels()
    assert data.vowels == DEFAULT_VOWELS
    assert data.n_speakers == 37 and data.n_samples == 259 and data.features.shape == (259, 12)
    assert data.feature_names == FORMANT_FEATURES
    assert len(data.dropped_speakers) == 48 - 37
    assert np.bincount(data.labels).tolist() == [37] * 7
    assert (data.features > 0).all() and data.features.dtype == np.float64
    assert all(s.startswith("w") for s in data.speakers)


@pytest.mark.parametrize("vowels", COMPLETE_37_SUBSETS)
def test_each_documented_subset_leaves_37_complete_women(vowels):
    assert load_vowels(vowels).n_speakers == 37


def test_class_order_follows_the_requested_vowels_and_speakers_filter():
    data = load_vowels(("uw", "ae"), speakers=["w01", "w02"])
    assert data.vowels == ("uw", "ae") and data.labels.tolist() == [0, 1, 0, 1]
    row = {(r["speaker"], r["vowel"]): r for r in read_table()}[("w01", "uw")]
    assert data.features[0, 0] == float(row["f1_hz"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"vowels": ("ae", "xx")}, "unknown codes"),
        ({"vowels": ("ae",)}, ">= 2 distinct"),
        ({"vowels": ("ae", "ae")}, ">= 2 distinct"),
        ({"group": "q"}, "group = 'q'"),
        ({"speakers": ["w18"]}, "not in group"),
        ({"speakers": ["m01"]}, "not in group"),
        ({"features": ("f1_hz", "f9_hz")}, "f9_hz"),
        ({"features": ()}, "non-empty"),
    ],
)
def test_bad_selection_gives_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_vowels(**kwargs)


def test_missing_column_and_missing_file(tmp_path):
    rows = read_table()
    cols = [c for c in rows[0] if c != "f3_80"]
    path = tmp_path / "cut.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValueError, match="f3_80"):
        load_vowels(path=path)
    assert load_vowels(features=FORMANT_FEATURES[:-1], path=path).n_speakers >= 37
    no_id = tmp_path / "noid.csv"
    no_id.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing columns"):
        load_vowels(path=no_id)
    with pytest.raises(FileNotFoundError):
        load_vowels(path=tmp_path / "absent.csv")


def test_no_complete_speaker_is_an_error():
    with pytest.raises(ValueError, match="no talker"):
        load_vowels(("ae", "er"), speakers=["w03"])  # w03 has an unmeasured F3 in 'er'


def test_stratified_splits_are_seeded_disjoint_and_stratified():
    y = load_vowels().labels
    splits = stratified_splits(y, 10, 0.2, seed=0)
    assert len(splits) == 10
    for tr, te in splits:
        assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
        assert np.bincount(y[te]).tolist() == [8] * 7  # ceil(0.2 * 37)
    again = stratified_splits(y, 10, 0.2, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))
    assert not np.array_equal(splits[0][1], splits[1][1])
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_splits(y, 3, 1.5)
    with pytest.raises(ValueError, match="n_splits"):
        stratified_splits(y, 0)
    with pytest.raises(ValueError, match=">= 2 per class"):
        stratified_splits(np.array([0, 1, 1]), 1)


def test_speaker_splits_hold_out_8_whole_talkers_and_are_stratified():
    data = load_vowels()
    spk = np.asarray(data.speakers)
    splits = make_splits(data, 10, 0.2, seed=0)  # default: by speaker
    assert len(splits) == 10
    held = []
    for tr, te in splits:
        assert len(tr) == 203 and len(te) == 56
        assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == data.n_samples
        assert not set(spk[tr]) & set(spk[te])  # no talker in both sets
        assert len(set(spk[te])) == 8 and len(set(spk[tr])) == 29
        assert np.bincount(data.labels[te]).tolist() == [8] * 7
        assert np.bincount(data.labels[tr]).tolist() == [29] * 7
        held.append(frozenset(spk[te]))
    assert len(set(held)) == 10  # the splits differ
    again = make_splits(data, 10, 0.2, seed=0, split_by="speaker")
    assert all(np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0]) for a, b in zip(splits, again))
    other = make_splits(data, 10, 0.2, seed=1)
    assert not np.array_equal(other[0][1], splits[0][1])
    assert np.array_equal(other[0][1], splits[1][1])  # split i uses seed + i
    by_sample = make_splits(data, 3, 0.2, seed=0, split_by="sample")
    assert [len(te) for _, te in by_sample] == [56] * 3
    assert any(set(spk[tr]) & set(spk[te]) for tr, te in by_sample)  # a talker's vowels are spread
    with pytest.raises(ValueError, match="split_by"):
        make_splits(data, 1, split_by="vowel")
    with pytest.raises(ValueError, match="talkers"):
        speaker_splits(["w01"] * 3, 1)
    for tr, te in speaker_splits(["a", "a", "b"], 4, 0.9):  # at most n_speakers - 1 held out
        assert len(tr) >= 1 and len(te) >= 1 and len(tr) + len(te) == 3


def test_synthetic_corpus_follows_peterson_barney_means_and_talker_spread():
    from mtjnn.data.synthetic_vowels import PETERSON_BARNEY_WOMEN, SYNTHETIC_VOWELS, TALKER_COMMON_SD, synthetic_vowels

    data = synthetic_vowels(4000, seed=1)
    assert data.features.shape == (4000 * 7, 3) and data.vowels == SYNTHETIC_VOWELS and data.n_speakers == 4000
    logx = np.log(data.features).reshape(4000, 7, 3)
    geo_mean = np.exp(logx.mean(0))
    expected = np.array([PETERSON_BARNEY_WOMEN[v] for v in SYNTHETIC_VOWELS])
    assert np.allclose(geo_mean, expected, rtol=0.01)
    talker = (logx - logx.mean(0)).mean((1, 2))  # a talker's mean log deviation: the common factor dominates
    assert abs(talker.std() - np.sqrt(TALKER_COMMON_SD**2 + 0.030**2 / 3 + (0.07**2 + 0.08**2 + 0.04**2) / 63)) < 0.003
    assert np.array_equal(synthetic_vowels(5, seed=2).features, synthetic_vowels(5, seed=2).features)
    with pytest.raises(ValueError, match="vowels"):
        synthetic_vowels(5, vowels=("ei", "iy"))
