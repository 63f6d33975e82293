"""Recordings as Neo NIX files: what Elephant reads back equals what the run reported."""

from __future__ import annotations

import json

import numpy as np
import pytest
import quantities as pq
from elephant.statistics import mean_firing_rate
from neo.io import NixIO

from studio.interop.neo_recordings import RecordingsError, check_destination, neuron_trains
from tests.studio.test_cli import ROOT, ncstudio as _ncstudio

COBA = ROOT / "resources" / "examples" / "coba.ncsproj"

def _read(path):
    io = NixIO(str(path), mode="ro")
    try:
        return io.read_block()
    finally:
        io.close()


@pytest.fixture(scope="module")
def coba_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("neo")
    done = _ncstudio("run", str(COBA), "--duration", "200ms", "--out", str(folder / "run.nix"), "--json")
    assert done.returncode == 0, done.stderr
    npz = _ncstudio("run", str(COBA), "--duration", "200ms", "--out", str(folder / "run.npz"))
    assert npz.returncode == 0, npz.stderr
    return json.loads(done.stdout), _read(folder / "run.nix"), np.load(folder / "run.npz")


def test_a_nix_file_holds_every_spike_per_population_with_the_runs_metadata(coba_run):
    report, block, arrays = coba_run
    assert block.annotations["project"] == "coba" and block.annotations["seed"] == 1
    assert block.annotations["dt_ms"] == 0.1 and block.annotations["duration_ms"] == 200.0
    assert block.annotations["fixed_point"] == "float64"
    assert [g.name for g in block.groups] == ["E", "I"]
    for group in block.groups:
        (train,) = group.spiketrains
        assert train.units == pq.ms and float(train.t_stop) == 200.0
        assert len(train) == report["spikes"][group.name]
        np.testing.assert_array_equal(train.magnitude, arrays[f"spikes.{group.name}.times"])
        np.testing.assert_array_equal(train.array_annotations["neuron"], arrays[f"spikes.{group.name}.senders"])


def test_elephant_reads_the_population_rates_the_run_reported(coba_run):
    report, block, _ = coba_run
    for group in block.groups:
        trains = neuron_trains(group.spiketrains[0])
        assert len(trains) == group.annotations["size"]
        rates = [mean_firing_rate(train).rescale("Hz").magnitude for train in trains]
        assert np.mean(rates) == pytest.approx(report["rates_hz"][group.name], rel=1e-9)


def test_voltmeter_traces_keep_their_units_sampling_and_neurons(coba_run):
    _, block, arrays = coba_run
    signals = {s.name: s for s in block.segments[0].analogsignals}
    assert set(signals) == {"v_E.v", "v_E.ge", "v_E.gi"}
    v = signals["v_E.v"]
    assert v.units == pq.mV and v.sampling_period.rescale("ms").magnitude == pytest.approx(0.1)
    assert v.shape == arrays["v_E.v"].shape and v.annotations["population"] == "E"
    np.testing.assert_array_equal(v.magnitude, arrays["v_E.v"])
    np.testing.assert_array_equal(v.array_annotations["neuron"], arrays["v_E.neurons"])
    assert signals["v_E.ge"].units == pq.dimensionless
    assert v in block.groups[0].analogsignals


def test_an_unknown_suffix_or_folder_is_refused_before_the_run(tmp_path):
    with pytest.raises(RecordingsError, match="use .npz or .nix"):
        check_destination(tmp_path / "run.csv")
    done = _ncstudio("run", str(COBA), "--duration", "10ms", "--out", str(tmp_path / "nowhere" / "run.nix"))
    assert done.returncode == 1 and "the directory" in done.stderr and "nowhere" in done.stderr
    assert "Traceback" not in done.stderr
