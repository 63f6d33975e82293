"""A core's manifest, readable: format, populations, projections, generators, memories and the estimate."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from studio.hardware.hardware_job import manifest_totals
from views.theme import colors, theme_events


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    head = "".join(f"<th align='{'right' if k in right else 'left'}'>{h}</th>" for k, h in enumerate(header))
    gap = "&nbsp;&nbsp;"  # a left-aligned column after a right-aligned one needs air
    body = "".join("<tr>" + "".join(f"<td align='{'right' if k in right else 'left'}'>"
                                   f"{gap if k - 1 in right and k not in right else ''}{c}</td>"
                                   for k, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='3' width='100%'><tr>{head}</tr>{body}</table>"


def manifest_html(manifest: dict) -> str:
    """The manifest as HTML (headings, short tables)."""
    muted = colors().muted.name()
    fmt = manifest.get("format", {})
    totals = manifest_totals(manifest)
    est = manifest.get("estimate", {})
    parts = [f"<h3 style='margin:0'>Core <code>{escape(manifest.get('top', ''))}</code></h3>",
             f"<p style='margin-top:2px'>{escape(fmt.get('name', '?'))} ({fmt.get('total', '?')}-bit storage, "
             f"{fmt.get('acc', '?')}-bit accumulator, {escape(str(fmt.get('overflow', '')))}, "
             f"{escape(str(fmt.get('rounding', '')))}); dt = {manifest.get('dt_ms', '?')} ms<br>"
             f"<b>{totals['neurons']:,}</b> neurons, <b>{totals['synapses']:,}</b> synapses</p>"]
    if est:
        parts.append("<h4 style='margin-bottom:2px'>Resource estimate</h4>" + _table(
            ["", ""], [["memory", f"{est.get('memory_bits', 0):,} bits"],
                       ["4 kbit block RAMs", f"{est.get('block_rams_4k', 0):,}"],
                       ["multipliers", f"{est.get('multipliers', 0):,}"],
                       ["pipeline registers", f"{est.get('pipeline_register_bits', 0):,} bits"]], {1}))
    pops = manifest.get("populations", [])
    if pops:
        parts.append("<h4 style='margin-bottom:2px'>Populations</h4>" + _table(
            ["name", "model", "size", "state", "latency"],
            [[escape(p["name"]), escape(p.get("model", "")), f"{p['size']:,}", escape(", ".join(p.get("state", []))),
              str(p.get("datapath_latency", ""))] for p in pops], {2, 4}))
    projs = manifest.get("projections", [])
    if projs:
        parts.append("<h4 style='margin-bottom:2px'>Projections</h4>" + _table(
            ["name", "synapses", "delay (steps)"],
            [[escape(p["name"]), f"{p.get('synapses', 0):,}", str(p.get("delay_steps", ""))] for p in projs], {1, 2}))
    gens = manifest.get("generators", [])
    if gens:
        parts.append("<h4 style='margin-bottom:2px'>Generators</h4>" + _table(
            ["name", "kind"], [[escape(g["name"]), escape(g.get("kind", ""))] for g in gens]))
    probes = manifest.get("probes", {})
    if probes:
        parts.append("<p><b>Probes:</b> " + "; ".join(f"{escape(k)}: {escape(', '.join(v))}"
                                                    for k, v in probes.items()) + "</p>")
    mems = manifest.get("memories", [])
    if mems:
        rows = [[f"{escape(m['name'])}<br><span style='color:{muted}'>{escape(m.get('holds', ''))}</span>",
                 f"{m['words']:,} × {m['width']}", f"{m['bits']:,}"] for m in mems]
        rows.append(["<b>total</b>", "", f"<b>{totals['memory_bits']:,}</b>"])
        parts.append("<h4 style='margin-bottom:2px'>Memories</h4>" + _table(["memory", "words × width", "bits"],
                                                                            rows, {1, 2}))
    return "".join(parts)


class ManifestView(QTextBrowser):
    """The manifest of the generated core (:meth:`show_manifest`), or a message."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hardware_manifest")
        self.setOpenLinks(False)
        self.manifest: dict | None = None
        theme_events().changed.connect(self._restyle)

    def show_manifest(self, manifest: dict) -> None:
        self.manifest = manifest
        self.setHtml(manifest_html(manifest))

    def _restyle(self) -> None:
        if self.manifest is not None:
            self.show_manifest(self.manifest)

    def show_message(self, text: str) -> None:
        self.manifest = None
        self.setHtml(f"<p>{escape(text)}</p>")
