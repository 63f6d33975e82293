"""A neuron model as one editable text: the playground's form of a ``*.ncsmodel``.

The text holds every field of a :class:`~engine.equations.model.ModelSpec`
in sections; the equations come first, bare or under ``[equations]``::

    [equations]
    dv/dt = (E_L - v + R*I_stim)/tau_m : volt (unless refractory)
    E_L : volt
    ...
    [threshold]
    v > v_th
    [reset]
    v = v_reset
    [refractory]
    2 ms
    [method]
    exact
    [parameters]
    tau_m = 10 ms
    [namespace]
    E_K = -90 mV
    [initial]
    v = E_L
    [receptors]
    syn: v += w
    ex (nS): g_ex += w
    [current_input]
    I_stim

``#`` starts a comment everywhere.  A receptor line may give the unit of its
weight in brackets.  :func:`parse_model_text` reads the text into a spec and
the problems of its structure; :func:`check_model_text` also checks the model
and places every problem the engine reports at the line and column of the
text, so an editor can underline it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from engine.errors import ModelError, Problem
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model

SECTIONS = ("equations", "threshold", "reset", "refractory", "method", "run_regularly", "parameters", "namespace",
            "initial", "receptors", "current_input", "unit_system", "substeps", "substep_reset")
_VALUE_SECTIONS = ("threshold", "refractory", "method", "current_input", "unit_system", "substeps", "substep_reset")
_LINE_SECTIONS = ("equations", "reset", "run_regularly")
_HEADER = re.compile(r"^\[\s*([A-Za-z_]*)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][A-Za-z_0-9]*)\s*=\s*(.*?)\s*$")
_RECEPTOR = re.compile(r"^(\s*)([A-Za-z_][A-Za-z_0-9]*)\s*(?:\(([^()]*)\))?\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Span:
    """Where a value sits in the text: 1-based ``line``, columns ``col`` up to (excluding) ``end_col``."""

    line: int
    col: int
    end_col: int


@dataclass
class Section:
    """One section: its name, the line of its header (0 for bare equations), and its lines."""

    name: str
    header: int
    first: int
    lines: list[str] = field(default_factory=list)

    def code(self) -> list[tuple[int, str]]:
        """``(line, text)`` of each line with its comment removed, blank lines left out."""
        out = []
        for k, raw in enumerate(self.lines):
            code = raw.split("#", 1)[0].rstrip()
            if code.strip():
                out.append((self.first + k, code))
        return out


@dataclass
class ModelText:
    """A parsed model text: the spec (``None`` without equations), the problems of the text's structure, and
    where each section and each named value sits."""

    spec: ModelSpec | None
    problems: list[Problem]
    sections: dict[str, Section]
    entries: dict[str, Span]
    values: dict[str, list[tuple[int, int]]]

    def place(self, problem: Problem) -> Problem:
        """``problem`` as reported by the engine, at its line and column of the text (0 where it has none)."""
        name = problem.field
        if self.values.get(name):
            positions = self.values[name]
            if not problem.line:
                return replace(problem, line=positions[0][0], col=positions[0][1], end_col=positions[-1][1] + 1)
            line, col = positions[min(max(problem.col - 1, 0), len(positions) - 1)]
            end = None
            if problem.end_col and problem.end_col > problem.col:
                last_line, last_col = positions[min(problem.end_col - 1, len(positions)) - 1]
                end = last_col + 1 if last_line == line else None
            return replace(problem, line=line, col=col, end_col=end)
        if name in self.entries:
            span = self.entries[name]
            if problem.line:
                col = span.col + problem.col - 1
                end = span.col + problem.end_col - 1 if problem.end_col else None
                return replace(problem, line=span.line, col=col, end_col=end)
            return replace(problem, line=span.line, col=span.col, end_col=span.end_col)
        section = self.sections.get(name)
        if section is not None and name in _LINE_SECTIONS:
            if problem.line:
                return replace(problem, line=section.first + problem.line - 1)
            return replace(problem, line=section.header or section.first, col=1, end_col=None)
        if section is not None:
            return replace(problem, line=section.header, col=1, end_col=None)
        return replace(problem, line=0, col=0, end_col=None)


def parse_model_text(text: str) -> ModelText:
    """Read ``text`` into sections and a :class:`ModelSpec` (not checked); structural problems located."""
    problems: list[Problem] = []
    sections: dict[str, Section] = {}
    current = Section("equations", 0, 1)
    for number, raw in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(raw)
        if header is None:
            current.lines.append(raw)
            continue
        _keep(current, sections, problems)
        name = header.group(1)
        if name not in SECTIONS:
            problems.append(Problem("model", number, 1, f"unknown section `[{name}]` (sections: "
                                                        f"{', '.join(SECTIONS)})", len(raw) + 1, raw))
            name = f"?{number}"
        current = Section(name, number, number + 1)
    _keep(current, sections, problems)
    entries: dict[str, Span] = {}
    values: dict[str, list[tuple[int, int]]] = {}
    fields: dict[str, object] = {}
    for name, section in sections.items():
        if name in _LINE_SECTIONS:
            fields[name] = "\n".join(section.lines)
        elif name in _VALUE_SECTIONS:
            fields[name] = _value(section, values)
        elif name in ("parameters", "namespace", "initial"):
            fields[name] = _assignments(section, entries, problems)
        elif name == "receptors":
            fields[name] = _receptors(section, entries, problems)
    spec = None
    equations = fields.get("equations", "")
    if isinstance(equations, str) and equations.strip():
        spec = _spec(fields, problems, sections)
    elif not problems:
        problems.append(Problem("equations", 1, 1, "a model needs at least one equation (e.g. "
                                                   "`dv/dt = -v/tau : volt`)"))
    return ModelText(spec, problems, sections, entries, values)


def _keep(section: Section, sections: dict[str, Section], problems: list[Problem]) -> None:
    if section.name.startswith("?"):
        return
    if section.name in sections:
        if section.header == 0 and not any(line.split("#", 1)[0].strip() for line in section.lines):
            return
        problems.append(Problem("model", section.header or 1, 1, f"section `[{section.name}]` is given twice",
                                None, ""))
        return
    if section.header == 0 and not any(line.split("#", 1)[0].strip() for line in section.lines):
        return  # nothing before the first header: the equations come under [equations]
    sections[section.name] = section


def _value(section: Section, values: dict[str, list[tuple[int, int]]]) -> str:
    """The section's text on one line, and the (line, col) of each of its characters."""
    parts, where = [], []
    for line, code in section.code():
        stripped = code.strip()
        start = len(code) - len(code.lstrip()) + 1
        if parts:
            parts.append(" ")
            where.append(where[-1])
        parts.append(stripped)
        where.extend((line, start + k) for k in range(len(stripped)))
    values[section.name] = where
    return "".join(parts)


def _assignments(section: Section, entries: dict[str, Span], problems: list[Problem]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line, code in section.code():
        m = _ASSIGN.match(code)
        if m is None or not m.group(3):
            example = "v = E_L" if section.name == "initial" else "tau_m = 10 ms"
            problems.append(Problem(section.name, line, 1, f"expected `name = value` in [{section.name}], e.g. "
                                                           f"`{example}`", len(code) + 1, code))
            continue
        name, value = m.group(2), m.group(3)
        key = f"{section.name}.{name}"
        if name in out:
            problems.append(Problem(key, line, len(m.group(1)) + 1, f"`{name}` is given twice in "
                                                                    f"[{section.name}]", None, code))
            continue
        col = m.start(3) + 1
        entries[key] = Span(line, col, col + len(value))
        out[name] = value
    return out


def _receptors(section: Section, entries: dict[str, Span], problems: list[Problem]) -> dict[str, Receptor]:
    out: dict[str, Receptor] = {}
    for line, code in section.code():
        m = _RECEPTOR.match(code)
        if m is None or not m.group(4):
            problems.append(Problem("receptors", line, 1, "expected `name: statements` (e.g. `ex: g_ex += w`, "
                                                          "or `ex (nS): g_ex += w` with the unit of the weight)",
                                    len(code) + 1, code))
            continue
        name = m.group(2)
        if name in out:
            problems.append(Problem(f"receptors.{name}", line, len(m.group(1)) + 1,
                                    f"receptor `{name}` is given twice", None, code))
            continue
        col = m.start(4) + 1
        entries[f"receptors.{name}"] = Span(line, col, col + len(m.group(4)))
        out[name] = Receptor(m.group(4), (m.group(3) or "").strip() or None)
    return out


def _spec(fields: dict[str, object], problems: list[Problem], sections: dict[str, Section]) -> ModelSpec:
    if "substeps" in fields:
        text = str(fields["substeps"])
        if text.isdigit() and int(text) >= 1:
            fields["substeps"] = int(text)
        else:
            problems.append(Problem("model", sections["substeps"].header, 1,
                                    f"substeps must be a whole number of at least 1, not `{text}`"))
            del fields["substeps"]
    if "substep_reset" in fields:
        text = str(fields["substep_reset"]).lower()
        if text not in ("true", "false"):
            problems.append(Problem("model", sections["substep_reset"].header, 1,
                                    f"substep_reset is `true` or `false`, not `{text}`"))
        fields["substep_reset"] = text == "true"
    if "current_input" in fields:
        fields["current_input"] = fields["current_input"] or None
    if fields.get("unit_system") == "":
        del fields["unit_system"]
    return ModelSpec(**fields)  # type: ignore[arg-type]


def check_model_text(text: str) -> tuple[ModelText, CheckedModel | None, list[Problem]]:
    """Parse and check ``text``: the parse, the checked model (``None`` on any problem), and every problem,
    placed in the text."""
    parsed = parse_model_text(text)
    problems = list(parsed.problems)
    if parsed.spec is None:
        return parsed, None, problems
    try:
        checked = check_model(parsed.spec)
    except ModelError as exc:
        problems.extend(parsed.place(p) for p in exc.problems)
        return parsed, None, problems
    return parsed, (None if problems else checked), problems


def model_text(spec: ModelSpec) -> str:
    """The text of ``spec`` (every field that is set, in the order of :data:`SECTIONS`)."""
    blocks = [f"[equations]\n{spec.equations.strip(chr(10))}"]
    for name in ("threshold", "reset", "refractory", "method", "run_regularly"):
        value = str(getattr(spec, name) or "").strip("\n")
        if value:
            blocks.append(f"[{name}]\n{value}")
    if spec.parameters:
        blocks.append("[parameters]\n" + "\n".join(f"{k} = {_value_text(v)}" for k, v in spec.parameters.items()))
    if spec.namespace:
        blocks.append("[namespace]\n" + "\n".join(f"{k} = {_value_text(v)}" for k, v in spec.namespace.items()))
    if spec.initial:
        blocks.append("[initial]\n" + "\n".join(f"{k} = {_value_text(v)}" for k, v in spec.initial.items()))
    if spec.receptors:
        lines = []
        for name, rec in spec.receptors.items():
            rec = Receptor(rec) if isinstance(rec, str) else rec
            unit = f" ({rec.weight_unit})" if rec.weight_unit else ""
            lines.append(f"{name}{unit}: {rec.on_pre}")
        blocks.append("[receptors]\n" + "\n".join(lines))
    if spec.current_input:
        blocks.append(f"[current_input]\n{spec.current_input}")
    if spec.unit_system != "nest":
        blocks.append(f"[unit_system]\n{spec.unit_system}")
    if spec.substeps != 1:
        blocks.append(f"[substeps]\n{spec.substeps}")
    if spec.substep_reset:
        blocks.append("[substep_reset]\ntrue")
    return "\n\n".join(blocks) + "\n"


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def with_parameter(text: str, name: str, value: str) -> str:
    """``text`` with parameter ``name`` set to ``value`` (the line is changed, or added to [parameters])."""
    parsed = parse_model_text(text)
    lines = text.split("\n")
    span = parsed.entries.get(f"parameters.{name}")
    if span is not None:
        line = lines[span.line - 1]
        lines[span.line - 1] = line[:span.col - 1] + value + line[span.end_col - 1:]
        return "\n".join(lines)
    section = parsed.sections.get("parameters")
    if section is None:
        tail = "" if text.endswith("\n") or not text else "\n"
        return f"{text}{tail}\n[parameters]\n{name} = {value}\n"
    last = max([line for line, _ in section.code()], default=section.header)
    lines.insert(last, f"{name} = {value}")
    return "\n".join(lines)
