"""Connection rules: exact counts, statistics within binomial bands, seeds, CSR layout, impossible requests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.models import get_model
from engine.network.build import build_network
from engine.network.connect import RULE_OPTIONS, RULES, ConnectionRuleError, Rule, connect, to_csr
from engine.network.definitions import NetworkDef, PopulationDef, ProjectionDef
from ext.csr import grouped

DELTA = get_model("iaf_psc_delta")
PROJECTION = "p"


def _draw(rule, n_src, n_tgt, same=False, seed=0):
    return connect(rule, n_src, n_tgt, same, np.random.default_rng(seed), PROJECTION)


def _pairs(src, tgt, n_tgt):
    return src * n_tgt + tgt


def _projection(rule, n_src=40, n_tgt=30, seed=3, recurrent=False):
    pops = (PopulationDef("a", DELTA, n_src),) if recurrent else (PopulationDef("a", DELTA, n_src),
                                                                  PopulationDef("b", DELTA, n_tgt))
    target = "a" if recurrent else "b"
    net = NetworkDef(pops, (ProjectionDef("p", "a", target, rule, "1 mV"),), seed=seed)
    return build_network(net).projections["p"]


def test_all_to_all_makes_every_pair_once():
    src, tgt = _draw(Rule("all_to_all"), 7, 5)
    assert src.size == 35
    assert np.array_equal(np.sort(_pairs(src, tgt, 5)), np.arange(35))


def test_all_to_all_within_a_population_with_and_without_autapses():
    src, tgt = _draw(Rule("all_to_all"), 6, 6, same=True)
    assert src.size == 36 and np.count_nonzero(src == tgt) == 6
    src, tgt = _draw(Rule("all_to_all", allow_autapses=False), 6, 6, same=True)
    assert src.size == 30 and not np.any(src == tgt)


def test_autapses_only_concern_a_population_connected_to_itself():
    src, tgt = _draw(Rule("all_to_all", allow_autapses=False), 6, 6, same=False)
    assert src.size == 36


def test_one_to_one_pairs_equal_indices():
    src, tgt = _draw(Rule("one_to_one"), 9, 9)
    assert np.array_equal(src, np.arange(9)) and np.array_equal(tgt, np.arange(9))


def test_pairwise_bernoulli_count_within_a_binomial_band():
    n_src, n_tgt, p = 300, 400, 0.1
    src, tgt = _draw(Rule("pairwise_bernoulli", p=p), n_src, n_tgt)
    n = n_src * n_tgt
    assert abs(src.size - n * p) < 5 * np.sqrt(n * p * (1 - p))
    assert np.unique(_pairs(src, tgt, n_tgt)).size == src.size  # each pair is drawn at most once
    assert src.min() >= 0 and src.max() < n_src and tgt.min() >= 0 and tgt.max() < n_tgt


def test_pairwise_bernoulli_empirical_p_of_a_large_case():
    n, p = 2000, 0.02
    src, tgt = _draw(Rule("pairwise_bernoulli", p=p), n, n, seed=11)
    sd = np.sqrt(p * (1 - p) / (n * n))
    assert abs(src.size / (n * n) - p) < 5 * sd
    # every source and every target is used uniformly: the in-degrees are Binomial(n, p)
    indeg = np.bincount(tgt, minlength=n)
    assert abs(indeg.mean() - n * p) < 5 * np.sqrt(n * p * (1 - p) / n)
    assert indeg.var() == pytest.approx(n * p * (1 - p), rel=0.15)


def test_pairwise_bernoulli_without_autapses():
    n, p = 200, 0.3
    src, tgt = _draw(Rule("pairwise_bernoulli", p=p, allow_autapses=False), n, n, same=True)
    assert not np.any(src == tgt)
    pairs = n * (n - 1)
    assert abs(src.size - pairs * p) < 5 * np.sqrt(pairs * p * (1 - p))


@pytest.mark.parametrize("p, expected", [(0.0, 0), (1.0, 12)])
def test_pairwise_bernoulli_extremes(p, expected):
    src, _ = _draw(Rule("pairwise_bernoulli", p=p), 3, 4)
    assert src.size == expected


@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_indegree_gives_every_target_exactly_k(multapses):
    k, n_src, n_tgt = 12, 50, 80
    src, tgt = _draw(Rule("fixed_indegree", k=k, allow_multapses=multapses), n_src, n_tgt)
    assert np.array_equal(np.bincount(tgt, minlength=n_tgt), np.full(n_tgt, k))
    if not multapses:
        assert np.unique(_pairs(src, tgt, n_tgt)).size == src.size


@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_outdegree_gives_every_source_exactly_k(multapses):
    k, n_src, n_tgt = 9, 70, 30
    src, tgt = _draw(Rule("fixed_outdegree", k=k, allow_multapses=multapses), n_src, n_tgt)
    assert np.array_equal(np.bincount(src, minlength=n_src), np.full(n_src, k))
    if not multapses:
        assert np.unique(_pairs(src, tgt, n_tgt)).size == src.size


@pytest.mark.parametrize("name", ["fixed_indegree", "fixed_outdegree"])
@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_degree_excludes_autapses(name, multapses):
    n = 10
    # K = n - 1 without multapses: everything but the neuron itself
    src, tgt = _draw(Rule(name, k=n - 1, allow_autapses=False, allow_multapses=multapses), n, n, same=True)
    assert not np.any(src == tgt)
    fixed = tgt if name == "fixed_indegree" else src
    assert np.array_equal(np.bincount(fixed, minlength=n), np.full(n, n - 1))
    if not multapses:
        assert np.unique(_pairs(src, tgt, n)).size == n * (n - 1)


def test_fixed_degree_with_multapses_draws_partners_uniformly():
    n_src, k, n_tgt = 20, 500, 40
    src, _ = _draw(Rule("fixed_indegree", k=k), n_src, n_tgt)
    counts = np.bincount(src, minlength=n_src)
    expected = k * n_tgt / n_src
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < n_src + 6 * np.sqrt(2 * n_src)  # chi-square with n_src - 1 degrees of freedom


@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_total_number_is_exact(multapses):
    n = 600
    src, tgt = _draw(Rule("fixed_total_number", n=n, allow_multapses=multapses), 30, 25)
    assert src.size == n
    if not multapses:
        assert np.unique(_pairs(src, tgt, 25)).size == n


def test_fixed_total_number_can_take_every_pair_but_the_autapses():
    n = 12
    src, tgt = _draw(Rule("fixed_total_number", n=n * (n - 1), allow_autapses=False, allow_multapses=False),
                     n, n, same=True)
    assert not np.any(src == tgt)
    assert np.unique(_pairs(src, tgt, n)).size == n * (n - 1)


def test_fixed_total_number_with_multapses_excludes_autapses():
    src, tgt = _draw(Rule("fixed_total_number", n=5000, allow_autapses=False), 8, 8, same=True)
    assert src.size == 5000 and not np.any(src == tgt)


def test_explicit_lists_are_taken_exactly():
    sources, targets = (0, 3, 3, 1, 0), (2, 2, 0, 1, 2)
    src, tgt = _draw(Rule("explicit", sources=sources, targets=targets), 4, 3)
    assert src.tolist() == list(sources) and tgt.tolist() == list(targets)


@pytest.mark.parametrize("rule, n_src, n_tgt, same, message", [
    (Rule("nearest"), 3, 3, False, r"unknown connection rule `nearest` \(choose from all_to_all, "),
    (Rule("one_to_one"), 3, 4, False, r"one_to_one needs equal sizes, not 3 and 4"),
    (Rule("one_to_one", allow_autapses=False), 3, 3, True, r"one_to_one within a population without autapses"),
    (Rule("pairwise_bernoulli", p=1.5), 3, 3, False, r"probability p must be within \[0, 1\], not 1.5"),
    (Rule("fixed_indegree", k=11, allow_multapses=False), 10, 5, False,
     r"fixed_indegree K = 11 is impossible with 10 candidates without multapses"),
    (Rule("fixed_indegree", k=10, allow_multapses=False, allow_autapses=False), 10, 10, True,
     r"fixed_indegree K = 10 is impossible with 9 candidates without multapses"),
    (Rule("fixed_indegree", k=1, allow_autapses=False), 1, 1, True,
     r"fixed_indegree K = 1 is impossible with 0 candidates$"),
    (Rule("fixed_outdegree", k=-1), 4, 4, False, r"fixed_outdegree K = -1 is impossible"),
    (Rule("fixed_outdegree", k=5, allow_multapses=False), 4, 4, False,
     r"fixed_outdegree K = 5 is impossible with 4 candidates"),
    (Rule("fixed_total_number", n=13, allow_multapses=False), 3, 4, False,
     r"fixed_total_number N = 13 exceeds the 12 possible pairs"),
    (Rule("fixed_total_number", n=1, allow_autapses=False), 1, 1, True,
     r"fixed_total_number N = 1 exceeds the 0 possible pairs"),
    (Rule("explicit", sources=(0, 1), targets=(0,)), 3, 3, False, r"explicit lists of sources and targets differ"),
    (Rule("explicit", sources=(0, 3), targets=(0, 1)), 3, 3, False, r"explicit indices out of range"),
    (Rule("explicit", sources=(0,), targets=(-1,)), 3, 3, False, r"explicit indices out of range"),
])
def test_impossible_requests_name_the_projection(rule, n_src, n_tgt, same, message):
    with pytest.raises(ConnectionRuleError, match=rf"^projection `p`: {message}"):
        _draw(rule, n_src, n_tgt, same=same)


def test_build_reports_the_projection_of_an_impossible_rule():
    net = NetworkDef((PopulationDef("a", DELTA, 5),),
                     (ProjectionDef("recurrent", "a", "a", Rule("fixed_indegree", k=5, allow_autapses=False,
                                                                 allow_multapses=False), "1 mV"),))
    with pytest.raises(ConnectionRuleError, match=r"^projection `recurrent`: fixed_indegree K = 5 is impossible"):
        build_network(net)


RANDOM_RULES = [Rule("pairwise_bernoulli", p=0.2), Rule("fixed_indegree", k=6), Rule("fixed_outdegree", k=6),
                Rule("fixed_total_number", n=300), Rule("fixed_indegree", k=6, allow_multapses=False),
                Rule("fixed_total_number", n=300, allow_multapses=False)]


@pytest.mark.parametrize("rule", RANDOM_RULES, ids=lambda r: r.name)
def test_same_seed_same_connectivity_other_seed_other_connectivity(rule):
    a, b, c = _projection(rule, seed=5), _projection(rule, seed=5), _projection(rule, seed=6)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.targets, b.targets)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.targets, c.targets))


@pytest.mark.parametrize("rule", RANDOM_RULES + [Rule("all_to_all", allow_autapses=False)], ids=lambda r: r.name)
def test_csr_is_sorted_by_source_then_target_with_a_consistent_indptr(rule):
    proj = _projection(rule, n_src=40, n_tgt=40, recurrent=True)
    indptr, targets = proj.indptr, proj.targets
    assert indptr.dtype == np.int64 and indptr.size == 41
    assert indptr[0] == 0 and indptr[-1] == targets.size == proj.n_connections
    assert np.all(np.diff(indptr) >= 0)
    src = proj.sources()
    assert np.all(np.diff(src) >= 0)
    key = src * 40 + targets.astype(np.int64)
    assert np.all(np.diff(key) >= 0)  # within each source's row the targets ascend
    assert targets.dtype == np.uint16
    assert proj.get_weights().shape == (targets.size,)


def test_csr_of_explicit_connections_keeps_every_pair():
    sources, targets = (2, 0, 2, 1, 0, 2), (1, 3, 0, 3, 3, 1)
    indptr, tgt, tag = to_csr(np.array(sources), np.array(targets), 4, 4, np.arange(6))
    assert indptr.tolist() == [0, 2, 3, 6, 6]
    assert tgt.tolist() == [3, 3, 3, 0, 1, 1]
    # an extra per-connection array follows the same order
    assert [(sources[i], targets[i]) for i in tag] == list(zip([0, 0, 1, 2, 2, 2], tgt.tolist()))


@pytest.mark.parametrize("n_tgt, dtype", [(65536, np.uint16), (65537, np.int32)])
def test_target_indices_are_uint16_while_they_fit(n_tgt, dtype):
    _, tgt = to_csr(np.array([0, 0]), np.array([0, n_tgt - 1]), 1, n_tgt)
    assert tgt.dtype == dtype and tgt.tolist() == [0, n_tgt - 1]


@pytest.mark.parametrize("name", RULES)
def test_every_rule_draws_with_the_options_its_table_entry_names(name):
    values = {"p": 0.5, "k": 2, "n": 4, "sources": (0, 1), "targets": (1, 2)}
    src, tgt = _draw(Rule(name, **{option: values[option] for option in RULE_OPTIONS[name]}), 3, 3)
    assert src.size == tgt.size > 0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70_000).flatmap(
    lambda bound: st.tuples(st.just(bound), st.lists(st.integers(0, bound - 1), max_size=300))),
    st.sampled_from([np.uint16, np.int32, np.int64]), st.sampled_from([np.uint16, np.int32, np.int64]))
def test_grouped_moves_values_as_numpys_stable_argsort_orders_the_keys(case, key_type, value_type):
    bound, keys = case
    keys = np.array(keys, dtype=np.int64)
    if np.iinfo(key_type).max < bound:
        keys = keys % (int(np.iinfo(key_type).max) + 1)
    keys = keys.astype(key_type)
    values = np.random.default_rng(bound).integers(0, np.iinfo(np.uint16).max, keys.size).astype(value_type)
    out, starts = grouped(keys, bound, values)
    assert out.dtype == value_type
    assert out.tolist() == values[np.argsort(keys, kind="stable")].tolist()
    assert starts.tolist() == [0, *np.cumsum(np.bincount(keys, minlength=bound)).tolist()]


@pytest.mark.parametrize("key", [-1, 5])
def test_grouped_refuses_a_key_out_of_range(key):
    with pytest.raises(ValueError, match=rf"^key {key} at 2 is outside 0 to 4$"):
        grouped(np.array([0, 4, key, 1], dtype=np.int64), 5, np.arange(4))


def test_grouped_refuses_values_of_another_length():
    with pytest.raises(ValueError, match="^3 keys but 2 values$"):
        grouped(np.array([0, 1, 1], dtype=np.int32), 2, np.arange(2, dtype=np.int32))
