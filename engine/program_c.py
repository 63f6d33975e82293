"""A float64 VM program rendered as C, for the tiered native path (engine/run/native_tier.py).

The C function does what ``float64_population_step`` in ext/vm.pyx does for
neurons ``lo`` to ``hi`` of ``N``, block by block of ``BLOCK`` neurons, with the same operations in the same order:
each instruction is one C statement, so compiled without floating-point
contraction (``-ffp-contract=off``) it gives the VM's bits.  Instructions
between calls run in one loop over the block, with registers in locals, so the
compiler vectorises it; calls (``exp``, ``pow``, ``rand``...) run in loops of
their own.  The function's C signature is ``native_step_fn`` in ext/network.pyx.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.native import vm as _vm
from engine.program import OP, Program, read_fields, writes_register

ENTRY = "ncs_population_step"

_NAMES = {code: name for name, code in OP.items()}
_FUNCTIONS = {_vm.FUNCTION_CODES[name]: c for name, c in {
    "exp": "exp({})", "log": "log({})", "sqrt": "sqrt({})", "abs": "fabs({})", "sin": "sin({})",
    "cos": "cos({})", "tan": "tan({})", "tanh": "tanh({})",
    "floor": "floor({})", "ceil": "ceil({})", "int": "trunc({})", "sign": "(double)(({0} > 0) - ({0} < 0))",
}.items()}
_BINARY = {"+": "+", "-": "-", "*": "*", "/": "/"}
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
_SPECIAL = {0: "(double)(step * dt)", 1: "dt", 2: "(double)j", 3: "(double)N"}

# glibc's expm1 and exprel on it as inline C (the VM calls the same): the source goes into every kernel's.
_EXPM1 = (Path(_vm.__file__).parent / "expm1_inline.h").read_text()
# The C every kernel starts with (part of the native cache key: engine/run/native_tier.py).
PRELUDE = _EXPM1 + """
#include <stddef.h>

static inline uint64_t ncs_mix64(uint64_t z)
{
    z = z + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t ncs_random_bits(uint64_t seed, uint64_t neuron, uint64_t step, uint64_t site)
{
    return ncs_mix64(seed ^ (neuron * 0xD1B54A32D192ED03ULL) ^ (step * 0x8CB92BA72F3D8DD7ULL)
                     ^ (site * 0xA0761D6478BD642FULL));
}

static inline double ncs_uniform(uint64_t bits)
{
    return (double)(bits >> 11) * (1.0 / 9007199254740992.0);
}
"""


class UnsupportedProgram(ValueError):
    """The program uses an instruction the C rendering does not cover (the VM runs it)."""


BLOCK = 128
# Instructions that call out of line: each runs in a loop of its own, so the loops between them vectorise.
_CALLS = {OP["call"], OP["**"], OP["rand"], OP["randn"]}
_EXPREL = _vm.FUNCTION_CODES["exprel"]
# Takes exprel from X[k], where its own loops left it: a pseudo-instruction that writes like a call.
_EXPREL_TAKE = -1


def render_c(program: Program) -> str:
    """C source of ``ncs_population_step`` for a float64 ``program``.

    Raises
    ------
    UnsupportedProgram
        For a fixed-point program or an instruction without a C rendering.
    """
    if program.fmt is not None:
        raise UnsupportedProgram("only float64 programs have a C rendering")
    code = [tuple(int(x) for x in r) for r in np.asarray(program.code)]
    rows = sorted({r[2] for r in code if r[0] == OP["load"]}
                  | {r[1] for r in code if r[0] in (OP["store"], OP["storeif"])})
    targets = {pc + 1 + r[3] for pc, r in enumerate(code) if r[0] == OP["skipnone"]}
    # Registers read at or after each instruction (jumps only go forward), and the spike flag after the
    # program: what a loop must leave in R for the loops after it.
    read_on = [{1}]
    for instr in reversed(code):
        read_on.insert(0, read_on[0] | {instr[f] for f in read_fields(instr[0])})
    body, segment = [], []
    for pc, instr in enumerate(code):
        if pc in targets or instr[0] == OP["skipnone"] or instr[0] in _CALLS:
            body += _loop(segment, read_on[pc])
            segment = []
        if pc in targets:
            body.append(f"    L{pc}:;")
        if instr[0] == OP["skipnone"]:
            # The VM skips a block only when no neuron of it has the flag (ext/vm.pyx, OP_SKIPNONE).
            body += [f"        if (!ncs_any(R[{instr[2]}], n))", f"            goto L{pc + 1 + instr[3]};"]
        elif instr[0] == OP["call"] and instr[3] == _EXPREL:
            body += _exprel_loops(instr[2])
            segment = [(_EXPREL_TAKE, *instr[1:])]
        elif instr[0] in _CALLS:
            body += _loop([instr], read_on[pc + 1])
        else:
            segment.append(instr)
    body += _loop(segment, read_on[len(code)])
    if len(code) in targets:
        body.append(f"    L{len(code)}:;")
    consts = sorted({r[2] for r in code if r[0] == OP["loadk"]}
                    | {r[3] for r in code if r[0] in (OP["mulk"], OP["addk"])})
    # Locals, so that no store through a slot pointer can change them in the compiler's eyes.
    pointers = "".join(f"    const double k{i} = K[{i}];\n" for i in consts)
    pointers += "".join(f"    double *const s{r} = rows[{r}];\n" for r in rows)
    return (PRELUDE + f"""
/* Whether any r[k] is non-zero: no early exit, so the loop vectorises. */
static inline int ncs_any(const double *r, ptrdiff_t n)
{{
    int any = 0;
    for (ptrdiff_t k = 0; k < n; k++)
        any |= r[k] != 0.0;
    return any;
}}

ptrdiff_t {ENTRY}(double *const *rows, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t N, const double *K, int ref_mode,
                  ptrdiff_t lastspike_slot, int32_t *refc, const int32_t *ref_steps, int64_t step, double dt,
                  uint64_t seed, int32_t *spikes)
{{
    ptrdiff_t nspk = 0;
    double *const lastspike = rows[lastspike_slot];
    const double t_end = (double)((step + 1) * dt);
    double R[{max(program.nregs, 2)}][{BLOCK}] __attribute__((aligned(64)));
    double X[{BLOCK}] __attribute__((aligned(64)));
{pointers}    for (ptrdiff_t j0 = lo; j0 < hi; j0 += {BLOCK}) {{
        const ptrdiff_t n = hi - j0 < {BLOCK} ? hi - j0 : {BLOCK};
        if (ref_mode != 2)
            for (ptrdiff_t k = 0; k < n; k++)
                R[0][k] = (ref_mode == 0 || refc[j0 + k] == 0) ? 1.0 : 0.0;
{chr(10).join(body)}
        for (ptrdiff_t k = 0; k < n; k++) {{
            const int32_t c = refc[j0 + k];
            refc[j0 + k] = R[1][k] != 0.0 ? ref_steps[j0 + k] : (c > 0 ? c - 1 : c);
        }}
        if (ncs_any(R[1], n))
            for (ptrdiff_t k = 0; k < n; k++)
                if (R[1][k] != 0.0) {{
                    lastspike[j0 + k] = t_end;
                    spikes[nspk++] = (int32_t)(j0 + k);
                }}
    }}
    return nspk;
}}
""")


def _exprel_loops(a: int) -> list[str]:
    """``X = exprel(R[a])`` over the block (ext/expm1_inline.h): glibc's expm1 in its primary range for every
    neuron in one loop without calls or integer conversions (vectorised with AVX2 and AVX-512), then
    ``ncs_exprel`` for the few arguments outside it."""
    return ["        {", "            int rest = 0;", "            for (ptrdiff_t k = 0; k < n; k++) {",
            f"                X[k] = ncs_expm1_primary(R[{a}][k]) / R[{a}][k];",
            f"                rest |= !ncs_exprel_is_primary(R[{a}][k]);", "            }",
            "            if (rest)", "                for (ptrdiff_t k = 0; k < n; k++)",
            f"                    if (!ncs_exprel_is_primary(R[{a}][k]))",
            f"                        X[k] = ncs_exprel(R[{a}][k]);", "        }"]


def _loop(segment: list[tuple[int, ...]], read_later: set[int]) -> list[str]:
    """One loop over the block running ``segment``: registers live in locals inside it, in ``R`` between loops
    (those in ``read_later``)."""
    if not segment:
        return []
    reads, writes = [], []
    for instr in segment:
        take = instr[0] == _EXPREL_TAKE
        for r in (instr[f] for f in (() if take else read_fields(instr[0]))):
            if r not in writes and r not in reads:
                reads.append(r)
        if (take or writes_register(instr[0])) and instr[1] not in writes:
            writes.append(instr[1])
    lines = ["        for (ptrdiff_t k = 0; k < n; k++) {", "            const ptrdiff_t j = j0 + k;"]
    lines += [f"            double r{r} = R[{r}][k];" for r in reads]
    lines += [f"            double r{r};" for r in writes if r not in reads]
    lines += ["            " + _statement(*instr) for instr in segment]
    lines += [f"            R[{r}][k] = r{r};" for r in writes if r in read_later]
    lines.append("        }")
    return lines


def _statement(op: int, d: int, a: int, b: int, c: int) -> str:
    if op == _EXPREL_TAKE:
        return f"r{d} = X[k];"
    name = _NAMES.get(op)
    if name == "load":
        return f"r{d} = s{a}[j];"
    if name == "loadk":
        return f"r{d} = k{a};"
    if name == "store":
        return f"s{d}[j] = r{a};"
    if name == "storeif":
        return f"if (r{b} != 0.0) s{d}[j] = r{a};"
    if name in _BINARY:
        return f"r{d} = r{a} {_BINARY[name]} r{b};"
    if name == "mulk":
        return f"r{d} = r{a} * k{b};"
    if name == "addk":
        return f"r{d} = r{a} + k{b};"
    if name == "**":
        return f"r{d} = pow(r{a}, r{b});"
    if name == "neg":
        return f"r{d} = -r{a};"
    if name in _COMPARE:
        return f"r{d} = (double)(r{a} {_COMPARE[name]} r{b});"
    if name == "and":
        return f"r{d} = (double)((r{a} != 0.0) & (r{b} != 0.0));"
    if name == "or":
        return f"r{d} = (double)((r{a} != 0.0) | (r{b} != 0.0));"
    if name == "not":
        return f"r{d} = (double)(r{a} == 0.0);"
    if name == "select":
        return f"r{d} = r{a} != 0.0 ? r{b} : r{c};"
    if name == "call" and b in _FUNCTIONS:
        return f"r{d} = " + _FUNCTIONS[b].format(f"r{a}") + ";"
    if name == "clip":
        return f"r{d} = r{a} < r{b} ? r{b} : (r{a} > r{c} ? r{c} : r{a});"
    if name == "rand":
        return f"r{d} = ncs_uniform(ncs_random_bits(seed, (uint64_t)j, (uint64_t)step, 2 * (uint64_t){a}));"
    if name == "randn":
        return (f"r{d} = sqrt(-2.0 * log(1.0 - ncs_uniform(ncs_random_bits(seed, (uint64_t)j, (uint64_t)step, "
                f"2 * (uint64_t){a})))) * cos(2.0 * M_PI * ncs_uniform(ncs_random_bits(seed, (uint64_t)j, "
                f"(uint64_t)step, 2 * (uint64_t){a} + 1)));")
    if name == "special" and a in _SPECIAL:
        return f"r{d} = {_SPECIAL[a]};"
    raise UnsupportedProgram(f"no C rendering of instruction `{name or op}`")
