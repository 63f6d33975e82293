"""The Qt-free side of the scopes: bounded histories, raster pixels, binned rates, ISI statistics."""

import numpy as np
import pytest

from engine.run.simulation import Chunk
from views.scopes.history import RowBuffer, ScopeData
from views.scopes.stats import IsiStats, binned_rate, rasterize


def spikes_buffer(capacity):
    return RowBuffer(capacity, {"t": (np.float64, ()), "n": (np.int32, ())})


def test_row_buffer_keeps_everything_below_capacity():
    buf = spikes_buffer(100_000)
    for k in range(10):
        buf.append(t=np.arange(1000.0) + 1000 * k, n=np.full(1000, k, np.int32))
    assert len(buf) == 10_000
    np.testing.assert_array_equal(buf.column("t"), np.arange(10_000.0))
    rows = buf.between("t", 2500, 2502)
    np.testing.assert_array_equal(rows["t"], [2500, 2501, 2502])
    np.testing.assert_array_equal(rows["n"], [2, 2, 2])


def test_row_buffer_drops_the_older_half_when_full_and_old_slices_stay_valid():
    buf = spikes_buffer(1000)
    buf.append(t=np.arange(900.0), n=np.zeros(900, np.int32))
    old = buf.between("t", 0, 10)["t"].copy()
    view = buf.between("t", 0, 10)["t"]
    buf.append(t=np.arange(900.0, 1200.0), n=np.zeros(300, np.int32))
    np.testing.assert_array_equal(view, old)
    t = buf.column("t")
    assert len(buf) <= 1000
    assert t[-1] == 1199 and np.all(np.diff(t) == 1)
    buf.append(t=np.arange(5000.0, 8000.0), n=np.zeros(3000, np.int32))
    np.testing.assert_array_equal(buf.column("t"), np.arange(7000.0, 8000.0))


def test_rasterize_sets_one_pixel_per_spike_with_the_population_value():
    image = rasterize([(np.array([0.0, 5.0, 9.99]), np.array([0, 3, 9]), 1), (np.array([10.0]), np.array([12]), 2)],
                      (0.0, 10.0), (0, 20), (20, 10))
    assert image.shape == (20, 10)
    assert {(r, c, image[r, c]) for r, c in zip(*np.nonzero(image))} == {(0, 0, 1), (3, 5, 1), (9, 9, 1), (12, 9, 2)}


def test_rasterize_bins_rows_when_there_are_more_neurons_than_pixels():
    image = rasterize([(np.array([1.0, 1.0, 1.0]), np.array([0, 7, 399]), 3)], (0.0, 4.0), (0, 400), (100, 4))
    assert {(r, c) for r, c in zip(*np.nonzero(image))} == {(0, 1), (1, 1), (99, 1)}


def test_binned_rate_counts_whole_bins_only():
    t = np.array([0.5, 1.0, 4.9, 5.0, 7.0, 12.0])
    edges, rate = binned_rate(t, 0.0, 12.5, 5.0, 2)
    np.testing.assert_array_equal(edges, [0.0, 5.0, 10.0])
    np.testing.assert_allclose(rate, [3 / (2 * 5e-3), 2 / (2 * 5e-3)])


def test_isi_statistics_across_chunks():
    isi = IsiStats(bin_ms=2.0, max_ms=100.0)
    # neuron 0 alternates intervals of 10 and 30 ms (CV 0.5); neuron 1 fires every 20 ms (CV 0)
    t0 = np.cumsum([5.0, 10, 30, 10, 30, 10, 30])
    t1 = np.arange(1, 8) * 20.0
    t = np.concatenate([t0, t1])
    n = np.concatenate([np.zeros(7, np.int32), np.ones(7, np.int32)])
    order = np.argsort(t, kind="stable")
    t, n = t[order], n[order]
    half = t.size // 2
    isi.add("E", t[:half], n[:half], 2)
    isi.add("E", t[half:], n[half:], 2)
    hist = isi.histogram("E")
    assert isi.intervals("E") == 12
    assert hist[5] == 3 and hist[15] == 3 and hist[10] == 6 and hist.sum() == 12
    np.testing.assert_allclose(isi.cv("E"), [0.5, 0.0], atol=1e-12)


def test_scope_data_takes_chunks_and_grows_unknown_populations():
    data = ScopeData()
    data.add(Chunk(0.0, 10.0, {"E": (np.array([1.0, 2.0]), np.array([3, 7], np.int32))},
                   {"vm": (np.array([5.0, 10.0]), np.zeros((2, 1, 2)))}, dropped_spikes=4))
    assert data.sizes == {"E": 8}
    assert data.received == 2 and data.dropped == 4 and data.t_ms == 10.0
    assert data.recorders["vm"].variables == ("var0",)
    version = data.version
    data.reset()
    assert data.version > version and data.received == 0 and not data.spikes


@pytest.mark.parametrize("shown, expected", [(["E", "I"], {"E": 0, "I": 8}), (["I"], {"I": 0})])
def test_offsets_stack_shown_populations(shown, expected):
    data = ScopeData()
    data.configure({"E": 8, "I": 2})
    assert data.offsets(shown) == expected
