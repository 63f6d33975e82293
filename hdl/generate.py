"""A project's network as files: the core's Verilog, a Verilator harness and a manifest.

:func:`generate` turns a :class:`~hdl.design.NetworkPlan` into a
:class:`GeneratedDesign` held in memory (nothing is written until the whole
design exists); :func:`write_design` writes it into a folder all at once.
"""

from __future__ import annotations

import json
import operator
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import reduce
from pathlib import Path

from amaranth.back import verilog

from hdl.core import NetworkCore
from hdl.design import NetworkPlan
from hdl.sc_delivery import sc_streams, sc_tables

HARNESS = "harness.cpp"
LINT_WAIVERS = "lint.vlt"
MANIFEST = "manifest.json"
PREFIX = "Vcore"
# The shapes an iCE40 SB_RAM40_4K takes (words x bits); the estimate packs each memory into the best one.
BLOCK_RAM_SHAPES = ((256, 16), (512, 8), (1024, 4), (2048, 2))
SMALL_MEMORY_BITS = 256  # smaller memories become flip-flops or LUT RAM


def block_rams(words: int, width: int, shapes: tuple[tuple[int, int], ...] = BLOCK_RAM_SHAPES) -> int:
    """Block RAMs (default: SB_RAM40_4K, of ``shapes`` words x bits) for a memory of ``words`` x ``width``
    bits (0 when it is small)."""
    if words * width <= SMALL_MEMORY_BITS:
        return 0
    return min(-(-words // d) * -(-width // w) for d, w in shapes)


@dataclass(frozen=True)
class GeneratedDesign:
    """The files of one network core and what a harness or a report needs to read them."""

    plan: NetworkPlan
    top: str
    files: dict[str, str]
    manifest: dict
    probe_slots: dict[str, tuple[str, ...]]

    @property
    def verilog_name(self) -> str:
        return f"{self.top}.v"


def _identifier(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and out[0].isalpha() else f"net_{out}"


def _header(plan: NetworkPlan, project: str) -> str:
    models = ", ".join(f"{p.name}: {p.size} x {p.model}" for p in plan.populations)
    return (f"/* NeuroCore Studio network core for `{project}`\n"
            f" * populations: {models}\n"
            f" * fixed point: {plan.fmt.name} (storage {plan.fmt.total} bits, accumulator {plan.fmt.acc}, "
            f"{plan.fmt.overflow}, {plan.fmt.rounding}); dt = {plan.dt_s * 1e3:g} ms\n"
            f" * generated with Amaranth from the engine's compiled programs; bit-exact with\n"
            f" * `ncstudio run --fixed {plan.fmt.name}` (docs/fixed-point.md).\n */\n")


def memories(plan: NetworkPlan, core: NetworkCore) -> list[dict]:
    """Every memory of the core: name, words, bits per word, total bits, contents' origin.

    ``initial`` says whether the memory has initial contents (ROMs, state) or starts at zero (inputs,
    the queue): only the latter can live in a RAM without initial contents (the iCE40's SPRAM)
    unless a loader writes them first.  ``written``: the core (or its loader) writes it, else it is a ROM;
    ``varying_bits``: the bits of a word that are not the same in every word of a ROM (synthesis keeps
    only those: Yosys's ``opt_mem`` turns the others into constants), a RAM's width.
    """
    out = []
    for whole in core.units:
        for k, unit in enumerate(whole.slices):
            u = unit.unit
            name = f"pop_{u.name}" + (f".slice_{k}" if len(whole.slices) > 1 else "")
            pops = ", ".join(f"{p.name} at {b}" for p, b in zip(unit.pops, u.bases))
            if len(whole.slices) > 1:
                pops += f"; words {unit.span[0]}..{unit.span[1] - 1}"
            state_bits = sum(w for _, w in unit.state_layout())
            out.append({"name": f"{name}.state", "words": unit.size, "width": state_bits, "initial": True,
                        "written": True,
                        "holds": f"{', '.join(unit.pop.state)}, refractory count, overflow flag"
                                 + (f", spikes of the last {unit.history_bits} steps" if unit.history_bits else "")
                                 + f" (initial state; {pops})"})
            initial = unit.initial_layout() if unit.resettable else []
            if initial:
                out.append({"name": f"{name}.initial", "words": unit.size, "width": sum(w for *_, w in initial),
                            "initial": True, "written": False,
                            "varying_bits": _varying_bits(unit._init_words(unit.state_layout())),
                            "holds": f"initial {', '.join(n for n, *_ in initial)} (for a reset)"})
            rom = unit.rom_layout()
            if rom:
                out.append({"name": f"{name}.params", "words": unit.size, "width": sum(w for _, w in rom),
                            "initial": True, "written": False, "varying_bits": _varying_bits(unit._init_words(rom)),
                            "holds": ", ".join(n.lstrip("_") for n, _ in rom)})
            for r in unit.inputs:
                if r.width:
                    out.append({"name": f"{name}.input_{r.receptor}", "words": unit.size,
                                "width": r.width, "initial": False, "written": True,
                                "holds": f"`{r.receptor}` input sums of the next step in units of {r.scale}"})
    layout = core.layout
    rom = core.tables == "rom"  # else written through the load port before the first step
    out.append({"name": "delivery.rows", "words": max(1, len(layout.rows)), "width": layout.pointer_bits,
                "initial": rom, "loaded": not rom, "written": not rom, "varying_bits": _varying_bits(layout.rows),
                "holds": "CSR row pointers of every projection"})
    out.append({"name": "delivery.synapses", "words": max(1, len(layout.synapses)), "width": layout.synapse_bits,
                "initial": rom, "loaded": not rom, "written": not rom, "varying_bits": _varying_bits(layout.synapses),
                "holds": "targets and weights" if layout.weight_bits else
                "targets (one shared weight per projection)"})
    for q in plan.projections:
        if q.sc is not None:
            for table, (width, words) in sc_tables(q.sc, plan.populations[q.source].size).items():
                out.append({"name": f"delivery.sc_{q.name}.{table}", "words": max(1, len(words)), "width": width,
                            "initial": True, "written": False, "varying_bits": _varying_bits(words),
                            "holds": f"SC projection {q.name}: " + (
                                "targets, first input, input count" if table == "targets"
                                else "source neuron and comparator level of every input")})
    pop_bits = max(1, (len(plan.populations) - 1).bit_length())
    out.append({"name": "delivery.queue", "words": core.queue_depth, "initial": False, "written": True,
                "width": pop_bits + max(p.neuron_bits for p in plan.populations) + core.mask_bits,
                "holds": "event queue (neurons and the delays they deliver through)"})
    for m in out:
        m["bits"] = m["words"] * m["width"]
        if m["written"]:
            m["varying_bits"] = m["width"]
    return out


def _varying_bits(words: list[int]) -> int:
    """How many bits are not the same in all of ``words``."""
    ones = reduce(operator.or_, words, 0)
    return (ones & ~reduce(operator.and_, words, ones)).bit_count()


def manifest_of(plan: NetworkPlan, core: NetworkCore, top: str, project: str, files: dict[str, str]) -> dict:
    """What was generated: files, formats, memories in bits, an estimate of resources."""
    mems = memories(plan, core)
    datapaths = {p.name: core.unit_of(p.name).datapath.resources for p in plan.populations}
    return {
        "project": project,
        "top": top,
        "files": sorted(files) + [MANIFEST],
        "format": {"name": plan.fmt.name, "total": plan.fmt.total, "frac": plan.fmt.frac, "acc": plan.fmt.acc,
                   "overflow": plan.fmt.overflow, "rounding": plan.fmt.rounding},
        "dt_ms": plan.dt_s * 1e3,
        "units": [{"name": u.unit.name, "populations": [p.name for p in u.pops], "bases": list(u.unit.bases),
                   "neurons": u.unit.size, "slices": len(u.slices)} for u in core.units],
        "populations": [{"name": p.name, "size": p.size, "model": p.model, "state": list(p.state),
                         "params": list(p.params), "datapath_latency": datapaths[p.name].latency,
                         "multipliers": len(datapaths[p.name].multipliers)} for p in plan.populations],
        "projections": [{"name": q.name, "synapses": int(q.targets.size), "delay_steps": q.delay,
                         "shared_weight": q.weights is None,
                         "arithmetic": "fixed" if q.sc is None else f"sc, L = {q.sc.length}"}
                        for q in plan.projections],
        "sc_streams": [stream for q in plan.projections if q.sc is not None for stream in sc_streams(q.sc)],
        "generators": [{"name": g.name, "kind": "poisson_generator", "table": list(g.table)} for g in plan.poissons]
        + [{"name": c.name, "kind": "dc_generator", "amplitude_raw": c.amplitude} for c in plan.currents],
        "probes": {name: list(slots) for name, slots in core.probe_slots.items() if slots},
        "memories": mems,
        "estimate": {
            "memory_bits": sum(m["bits"] for m in mems),
            "block_rams_4k": sum(block_rams(m["words"], m["width"]) for m in mems),
            "multipliers": sum(len(u.datapath.resources.multipliers) for u in core.slices),
            "pipeline_register_bits": sum(u.datapath.resources.pipeline_register_bits for u in core.slices),
        },
    }


# Verilator's -Wall warns about what Yosys's Verilog writer (Amaranth's back end) emits by construction;
# each waiver says why it is not a defect of the design.
_WAIVERS = (
    ("UNUSEDSIGNAL", "bits of packed words and pipeline tags that a consumer does not read"),
    ("PROCASSINIT", "registers get their reset values both as initial values and in reset logic"),
    ("WIDTHEXPAND", "operands are written at their natural width and widened by Verilog's rules"),
    ("WIDTHTRUNC", "`!x` on a multi-bit value is how the writer tests a value for zero"),
    ("CASEINCOMPLETE", "state machines decode only their reachable states"),
    ("DECLFILENAME", "every module of the design lives in one file named after the project"),
)


def lint_waivers() -> str:
    """A Verilator configuration file that waives the writer's warning classes (and nothing else)."""
    lines = ["`verilator_config", "// Warnings of Yosys's Verilog writer, waived for `verilator --lint-only -Wall`."]
    for rule, why in _WAIVERS:
        lines += [f"// {rule}: {why}", f"lint_off -rule {rule}"]
    return "\n".join(lines) + "\n"


def harness(core: NetworkCore) -> str:
    """The Verilator C++ driver: run N steps, print spikes, probes and counters.

    Free-running by default; with PACE each step takes at least PACE clocks; with ``single`` the
    harness requests every step by a ``step_req`` pulse a few idle clocks after the previous one.
    """
    probes = max((len(s) for s in core.probe_slots.values()), default=0)
    probe_print = "".join(f' fprintf(out, " %u", (unsigned)top->probe_{k});' for k in range(probes))
    load = ""
    if core.tables == "loaded":  # the tables' words, written one per clock before the first step
        image = core.table_image()
        words = ",".join(str(w) for w in image)
        load = (f"    static const unsigned long long image[{len(image)}] = {{{words}}};\n"
                f"    for (unsigned a = 0; a < {len(image)}; ++a) {{\n"
                "        top->load_valid = 1; top->load_addr = a; top->load_data = image[a];\n"
                "        top->clk = 0; top->eval(); top->clk = 1; top->eval();\n"
                "    }\n"
                "    top->load_valid = 0;\n")
    return f"""// Verilator harness for the NeuroCore Studio network core (generated).
// usage: sim STEPS OUT.txt [PACE [single]] -> lines "S step pop neuron", "P step pop neuron v...", "C name value"
#include <cstdio>
#include <cstdlib>
#include "{PREFIX}.h"
#include "verilated.h"

int main(int argc, char** argv) {{
    if (argc < 3) {{ std::fprintf(stderr, "usage: %s STEPS OUT\\n", argv[0]); return 2; }}
    unsigned long long nsteps = std::strtoull(argv[1], nullptr, 10);
    FILE* out = std::fopen(argv[2], "w");
    if (!out) {{ std::perror(argv[2]); return 2; }}
    VerilatedContext ctx;
    {PREFIX}* top = new {PREFIX}{{&ctx}};
    unsigned pace = argc > 3 ? (unsigned)std::strtoul(argv[3], nullptr, 10) : 0;
    bool single = argc > 4 && argv[4][0] == 's';
    top->clk = 0; top->rst = 1; top->run = 0; top->step_req = 0; top->pace = pace;
    for (int i = 0; i < 4; ++i) {{ top->clk = !top->clk; top->eval(); }}
    top->rst = 0;
{load}    top->run = single ? 0 : 1;
    unsigned long long steps = 0, cycles = 0, max_cycles = 0, min_cycles = ~0ULL;
    unsigned gap = 3;
    while (steps < nsteps) {{
        top->clk = 0;
        if (single) {{
            top->step_req = 0;
            if (!top->busy) {{ if (gap) --gap; else top->step_req = 1; }}
        }}
        top->eval();
        if (top->spike_valid)
            std::fprintf(out, "S %llu %u %u\\n", (unsigned long long)top->step, (unsigned)top->spike_pop,
                         (unsigned)top->spike_neuron);
        if (top->probe_valid) {{
            std::fprintf(out, "P %llu %u %u", (unsigned long long)top->step, (unsigned)top->probe_pop,
                         (unsigned)top->probe_neuron);{probe_print}
            std::fputc('\\n', out);
        }}
        if (top->step_done) {{
            ++steps;
            if (top->cycles_last_step > max_cycles) max_cycles = top->cycles_last_step;
            if (top->cycles_last_step < min_cycles) min_cycles = top->cycles_last_step;
            gap = 3;
            if (steps == nsteps) break;
        }}
        top->clk = 1; top->eval(); ++cycles;
    }}
    std::fprintf(out, "C cycles %llu\\nC max_cycles_per_step %llu\\nC min_cycles_per_step %llu\\n", cycles,
                 max_cycles, min_cycles);
    std::fprintf(out, "C spike_count %u\\n", (unsigned)top->spike_count);
    std::fprintf(out, "C queue_overflows %u\\nC overflow_events %u\\n", (unsigned)top->queue_overflows,
                 (unsigned)top->overflow_events);
    std::fclose(out);
    top->final();
    delete top;
    return 0;
}}
"""


def generate(plan: NetworkPlan, project: str = "", tables: str = "rom") -> GeneratedDesign:
    """The core's Verilog, the harness and the manifest, in memory (``tables``: see :class:`NetworkCore`)."""
    top = _identifier(plan.name)
    core = NetworkCore(plan, tables=tables)
    text = _header(plan, project or plan.name) + verilog.convert(core, name=top, emit_src=False)
    files = {f"{top}.v": text, HARNESS: harness(core), LINT_WAIVERS: lint_waivers()}
    manifest = manifest_of(plan, core, top, project or plan.name, files)
    return GeneratedDesign(plan, top, files, manifest, dict(core.probe_slots))


def write_design(design: GeneratedDesign, directory: str | os.PathLike) -> list[Path]:
    """Write every file of ``design`` into ``directory``: staged beside it, then moved in, so a
    failure leaves nothing half-written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {**design.files, MANIFEST: json.dumps(design.manifest, indent=2) + "\n"}
    with tempfile.TemporaryDirectory(prefix=".ncstudio-hdl-", dir=directory) as staging:
        for name, text in files.items():
            (Path(staging) / name).write_text(text)
        for name in files:
            shutil.move(str(Path(staging) / name), str(directory / name))
    return [directory / name for name in files]
