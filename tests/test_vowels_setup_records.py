"""The vowel run's setup and full-data records keep the on-disk dicts (checkpoint, metrics.json) they replace."""

from __future__ import annotations

from mtjnn.experiments.vowels_records import FullDataFits, MacrospinCalibration, ThermalCalibration, VowelSetup


def test_setup_round_trips_the_checkpoint_dicts() -> None:
    none = {"macrospin": None}
    cold = {"macrospin": {"anisotropy_field_t": [0.1, 0.2], "thresholds_a": [1e-4, 2e-4], "time_s": 1.5}}
    both = {**cold, "macrospin_thermal": {"anisotropy_field_t": [0.11, 0.21], "barrier": [40.0, 41.0],
                                          "p_switch_at_i_sw": [0.5, 0.48], "time_s": 3.0}}
    for d in (none, cold, both):
        assert VowelSetup.from_json(d).to_json() == d
        assert list(VowelSetup.from_json(d).to_json()) == list(d)  # key order too (metrics.json reads the same)
    setup = VowelSetup.from_json(both)
    assert isinstance(setup.macrospin, MacrospinCalibration) and isinstance(setup.thermal, ThermalCalibration)
    assert setup.thermal.barrier == [40.0, 41.0]


def test_full_data_fits_round_trip_and_metrics_drop_the_mlp_layers() -> None:
    layer = {"mean": [0.0], "std": [1.0], "weight": [[0.5]], "bias": [0.1]}
    d = {"chain": {"table": [[0]], "spare": False}, "chain_all_data_accuracy": 0.96, "chain_time_s": 2.0,
         "mlp1": layer, "mlp1_all_data_accuracy": 0.8, "mlp2": layer, "mlp2_all_data_accuracy": 0.9}
    fits = FullDataFits.from_json(d)
    assert fits.to_json() == d and list(fits.to_json()) == list(d)
    assert fits.mlp_layers[2] == layer and fits.mlp_accuracy[1] == 0.8
    assert fits.metrics_json() == {"chain": d["chain"], "chain_all_data_accuracy": 0.96, "chain_time_s": 2.0,
                                   "mlp1_all_data_accuracy": 0.8, "mlp2_all_data_accuracy": 0.9}


def test_crosscheck_round_trips_its_dict_and_plots(tmp_path) -> None:
    from mtjnn.experiments.vowels_plots import plot_crosscheck
    from mtjnn.experiments.vowels_records import Crosscheck, GumbelFit

    d = {"temperature_k": 300.0, "pulse_s": 5e-8, "trials": 96, "i_sw_a": [1e-4, 2e-4], "offsets_a": [-1e-5, 0.0, 1e-5],
         "p_llgs": [[0.1, 0.5, 0.9], [0.2, 0.5, 0.8]], "fits": [{"i50_a": 1e-4, "w_a": 5e-6}, {"i50_a": 2e-4, "w_a": 6e-6}],
         "barrier": [40.0, 42.0], "compact_w_a": 5.5e-6, "compact_delta": 41.0, "compact_i_c_a": 2.2e-4}
    cc = Crosscheck.from_json(d)
    assert cc.fits[1] == GumbelFit(2e-4, 6e-6)
    assert cc.to_json() == d and list(cc.to_json()) == list(d)
    plot_crosscheck(cc, tmp_path / "cc.png")
    assert (tmp_path / "cc.png").stat().st_size > 0
