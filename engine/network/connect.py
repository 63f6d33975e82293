"""Connection rules (NEST names) producing (source, target) index arrays.

Every rule draws from its own NumPy ``Generator`` (PCG64), so the same seed
gives the same network on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import Location, NeuroCoreError
from ext.csr import grouped

RULE_OPTIONS: dict[str, tuple[str, ...]] = {
    "all_to_all": (), "one_to_one": (), "pairwise_bernoulli": ("p",), "fixed_indegree": ("k",),
    "fixed_outdegree": ("k",), "fixed_total_number": ("n",), "explicit": ("sources", "targets"),
}
"""The options each connection rule takes (besides ``allow_autapses`` and ``allow_multapses``)."""
RULES = tuple(RULE_OPTIONS)


class ConnectionRuleError(NeuroCoreError):
    """A connection rule cannot be applied as given."""


def probability_problem(p: float) -> str | None:
    """Why ``p`` cannot be a connection probability (``None`` when it can): it lies within [0, 1]."""
    return None if 0.0 <= p <= 1.0 else f"probability p must be within [0, 1], not {p:g}"


def explicit_weights_problem(rule: str, n_weights: int, n_connections: int) -> str | None:
    """Why ``n_weights`` per-connection weights cannot go with ``rule`` making ``n_connections`` explicit
    connections (``None`` when they can)."""
    if rule != "explicit":
        return f"per-connection weights are an option of the explicit rule only, not of {rule}"
    if n_weights != n_connections:
        return f"{n_weights} weights for {n_connections} connections (one per entry of `sources`)"
    return None


@dataclass(frozen=True)
class Rule:
    """A connection rule and its options.

    ``p`` for pairwise_bernoulli, ``k`` for fixed_indegree/fixed_outdegree,
    ``n`` for fixed_total_number, ``sources``/``targets`` for explicit lists, with optional
    ``weights``, one number per connection multiplying the projection's weight.
    """

    name: str
    p: float = 0.0
    k: int = 0
    n: int = 0
    sources: tuple[int, ...] = ()
    targets: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()
    allow_autapses: bool = True
    allow_multapses: bool = True


def connect(rule: Rule, n_src: int, n_tgt: int, same_population: bool, rng: np.random.Generator,
            projection: str) -> tuple[np.ndarray, np.ndarray]:
    """Source and target indices of every connection ``rule`` makes for the projection named ``projection``."""
    src, tgt, _ = connect_weighted(rule, n_src, n_tgt, same_population, rng, projection)
    return src, tgt


def connect_weighted(rule: Rule, n_src: int, n_tgt: int, same_population: bool, rng: np.random.Generator,
                     projection: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`connect`, and the factor of every connection's weight (the explicit rule's ``weights``; ``None``
    when the rule gives none)."""
    at = Location("projection", projection, "rule")
    where = at.element
    factors = None
    if rule.name not in RULES:
        raise ConnectionRuleError(f"{where}: unknown connection rule `{rule.name}` (choose from {', '.join(RULES)})",
                                  at.at("rule.name"))
    autapse_free = same_population and not rule.allow_autapses
    if rule.name == "all_to_all":
        src = np.repeat(np.arange(n_src, dtype=np.int64), n_tgt)
        tgt = np.tile(np.arange(n_tgt, dtype=np.int64), n_src)
    elif rule.name == "one_to_one":
        if n_src != n_tgt:
            raise ConnectionRuleError(f"{where}: one_to_one needs equal sizes, not {n_src} and {n_tgt}", at)
        src = tgt = np.arange(n_src, dtype=np.int64)
        if autapse_free:
            raise ConnectionRuleError(f"{where}: one_to_one within a population without autapses makes no connection",
                                      at.at("rule.allow_autapses"))
    elif rule.name == "pairwise_bernoulli":
        problem = probability_problem(rule.p)
        if problem is not None:
            raise ConnectionRuleError(f"{where}: {problem}", at.at("rule.p"))
        src, tgt = _bernoulli(rule.p, n_src, n_tgt, rng)
    elif rule.name == "fixed_indegree":
        tgt_, src_ = _fixed_degree(rule.k, n_tgt, n_src, rule.allow_multapses, autapse_free, rng, at, "indegree")
        src, tgt = src_, tgt_
    elif rule.name == "fixed_outdegree":
        src, tgt = _fixed_degree(rule.k, n_src, n_tgt, rule.allow_multapses, autapse_free, rng, at, "outdegree")
    elif rule.name == "fixed_total_number":
        src, tgt = _fixed_total(rule.n, n_src, n_tgt, rule.allow_multapses, autapse_free, rng, at)
    else:
        src = np.asarray(rule.sources, dtype=np.int64)
        tgt = np.asarray(rule.targets, dtype=np.int64)
        if src.shape != tgt.shape:
            raise ConnectionRuleError(f"{where}: explicit lists of sources and targets differ in length",
                                      at.at("rule.targets"))
        bad_src = src.size and (src.min() < 0 or src.max() >= n_src)
        if bad_src or (tgt.size and (tgt.min() < 0 or tgt.max() >= n_tgt)):
            raise ConnectionRuleError(f"{where}: explicit indices out of range (sources < {n_src}, targets < {n_tgt})",
                                      at.at("rule.sources" if bad_src else "rule.targets"))
    if rule.weights:
        problem = explicit_weights_problem(rule.name, len(rule.weights), src.size)
        if problem is not None:
            raise ConnectionRuleError(f"{where}: {problem}", at.at("rule.weights"))
        factors = np.asarray(rule.weights, dtype=np.float64)
    if autapse_free and rule.name in ("all_to_all", "pairwise_bernoulli", "explicit"):
        keep = src != tgt
        src, tgt = src[keep], tgt[keep]
        factors = None if factors is None else factors[keep]
    return src, tgt, factors


def expected_connections(rule: Rule, n_src: int, n_tgt: int) -> float:
    """How many connections ``rule`` is expected to draw between populations of these sizes."""
    counts = {"all_to_all": n_src * n_tgt, "one_to_one": n_src, "pairwise_bernoulli": rule.p * n_src * n_tgt,
              "fixed_indegree": rule.k * n_tgt, "fixed_outdegree": rule.k * n_src, "fixed_total_number": rule.n,
              "explicit": len(rule.sources)}
    return float(max(counts.get(rule.name, 0), 0))


def _bernoulli(p: float, n_src: int, n_tgt: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Each of the n_src*n_tgt pairs independently with probability p (geometric skipping)."""
    total = n_src * n_tgt
    if p <= 0.0 or total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if p >= 1.0:
        flat = np.arange(total, dtype=np.int64)
    else:
        chunks = []
        pos = -1
        batch = max(1024, int(total * p * 1.1) + 1024)
        while True:
            gaps = rng.geometric(p, size=batch).astype(np.int64)
            positions = pos + np.cumsum(gaps)
            inside = positions[positions < total]
            chunks.append(inside)
            if inside.size < positions.size:
                break
            pos = int(positions[-1])
        flat = np.concatenate(chunks)
    return flat // n_tgt, flat % n_tgt


def _fixed_degree(k, n_fixed, n_other, multapses, autapse_free, rng, at: Location, what):
    """For each of n_fixed neurons, k partners among n_other; returns (fixed, partner) arrays."""
    available = n_other - (1 if autapse_free else 0)
    if k < 0 or (k > 0 and available == 0) or (not multapses and k > available):
        raise ConnectionRuleError(f"{at.element}: fixed_{what} K = {k} is impossible with {available} candidates"
                                  + ("" if multapses else " without multapses"), at.at("rule.k"))
    if k == 0 or n_fixed == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # The smallest index types keep the temporaries of large networks (Brunel: 10^7 connections) small.
    fixed = np.repeat(np.arange(n_fixed, dtype=index_type(n_fixed)), k)
    kind = index_type(n_other)
    if multapses:
        if autapse_free:
            partner = rng.integers(0, n_other - 1, size=(n_fixed, k), dtype=kind)
            partner += partner >= np.arange(n_fixed, dtype=kind)[:, None]
        else:
            partner = rng.integers(0, n_other, size=(n_fixed, k), dtype=kind)
        return fixed, partner.reshape(-1)
    rows = []
    for i in range(n_fixed):
        if autapse_free:
            choice = rng.choice(n_other - 1, size=k, replace=False)
            choice = choice + (choice >= i)
        else:
            choice = rng.choice(n_other, size=k, replace=False)
        rows.append(np.sort(choice))
    return fixed, np.concatenate(rows).astype(np.int64)


def _fixed_total(n, n_src, n_tgt, multapses, autapse_free, rng, at: Location):
    pairs = n_src * n_tgt - (min(n_src, n_tgt) if autapse_free else 0)
    if n < 0 or (n > 0 and pairs == 0) or (not multapses and n > pairs):
        raise ConnectionRuleError(f"{at.element}: fixed_total_number N = {n} exceeds the {pairs} possible pairs",
                                  at.at("rule.n"))
    if multapses:
        src = rng.integers(0, n_src, size=n)
        tgt = rng.integers(0, n_tgt, size=n)
        if autapse_free:
            bad = src == tgt
            while bad.any():
                tgt[bad] = rng.integers(0, n_tgt, size=int(bad.sum()))
                bad = src == tgt
        return src.astype(np.int64), tgt.astype(np.int64)
    chosen: set[int] = set()
    while len(chosen) < n:
        flat = rng.integers(0, n_src * n_tgt, size=n - len(chosen))
        for f in flat.tolist():
            s, t = divmod(f, n_tgt)
            if not (autapse_free and s == t):
                chosen.add(f)
    flat = np.array(sorted(chosen), dtype=np.int64)
    return flat // n_tgt, flat % n_tgt


def index_type(n: int):
    """The smallest unsigned/signed integer type that indexes ``n`` neurons (uint16 or int32)."""
    return np.uint16 if n <= np.iinfo(np.uint16).max + 1 else np.int32


def to_csr(src: np.ndarray, tgt: np.ndarray, n_src: int, n_tgt: int, *extra: np.ndarray):
    """Sort connections by (source, target) and build the CSR index.

    Returns ``indptr`` (int64, n_src + 1), targets (uint16 when every target
    index fits, else int32) and the extra per-connection arrays in the same order.
    """
    if tgt.size > 1 and not np.all(tgt[1:] >= tgt[:-1]):
        if extra:
            first, _ = grouped(_keys(tgt), n_tgt, np.arange(tgt.size))
            src, tgt, extra = src[first], tgt[first], tuple(e[first] for e in extra)
            del first
        else:
            src, starts = grouped(_keys(tgt), n_tgt, _keys(src))
            tgt = np.repeat(np.arange(n_tgt, dtype=index_type(n_tgt)), np.diff(starts))
    tgt = tgt.astype(index_type(n_tgt), copy=False)
    if not extra:
        targets, indptr = grouped(_keys(src), n_src, tgt)
        return indptr, targets
    order, indptr = grouped(_keys(src), n_src, np.arange(src.size))
    return (indptr, tgt[order], *(e[order] for e in extra))


def _keys(a: np.ndarray) -> np.ndarray:
    """``a`` contiguous, in a type :func:`ext.csr.grouped` takes (copied only when it is in another)."""
    if a.dtype not in (np.uint16, np.int32, np.int64):
        a = a.astype(np.int64)
    return np.ascontiguousarray(a)
