"""``ncstudio import FILE -o OUT``: a network or model from another tool, read by the file's suffix.

Each importer writes its file and returns its JSON report and the lines a person reads.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from engine.errors import ModelError, NeuroCoreError
from studio.cli.subcommands import _count, _emit_json, _problem_json
from studio.interop.nestml_import import SUFFIX as NESTML_SUFFIX
from studio.project.modelfile import SUFFIX as MODEL_SUFFIX, write_model_file
from studio.project.project_file import SUFFIX as PROJECT_SUFFIX


def _import_brian2(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """A Brian2 script's NeuronGroup as a model file; what the script holds that is not read is listed as
    ``FILE: line L, col C: not read: ...``."""
    from studio.interop.brian2_import import import_brian2

    path, out = Path(args.file), Path(args.out)
    if out.suffix != MODEL_SUFFIX:
        raise NeuroCoreError(f"{out}: a Brian2 model becomes a model file; name it *{MODEL_SUFFIX}")
    try:
        result = import_brian2(path.read_bytes().decode("utf-8-sig", errors="replace"), str(path))
    except ModelError as exc:
        if args.json:
            _emit_json({"path": str(path), "written": False,
                        "problems": [_problem_json(str(path), replace(p, field="")) for p in exc.problems]})
        else:
            for p in exc.problems:
                print(p)
        raise NeuroCoreError(f"{_count(len(exc.problems), 'problem')} in {path}; nothing written") from exc
    write_model_file(out, result.spec)
    report = {"path": str(path), "written": str(out),
              "unread": [_problem_json(str(path), replace(p, field="")) for p in result.unread]}
    lines = [f"{p.field}: line {p.line}, col {p.col}: not read: {p.message}" for p in result.unread]
    lines.append(f"{path} -> {out} ({_count(len(result.spec.namespace), 'constant')}, method {result.spec.method})")
    return report, lines


def _import_nestml(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """A NESTML neuron model as a model file, read by the nestml package's parser."""
    from studio.interop.nestml_import import import_nestml

    source, out = Path(args.file), Path(args.out)
    if out.suffix != MODEL_SUFFIX:
        raise NeuroCoreError(f"{out}: a {source.suffix} file imports into a {MODEL_SUFFIX} file")
    converted = import_nestml(source, out)
    report = {"source": str(source), "output": str(out), "model": converted.name,
              "receptors": list(converted.receptors), "method": converted.spec.method}
    return report, [f"{source.name}: {converted.name} -> {out} (receptors "
                    f"{', '.join(converted.receptors) or 'none'}; method {converted.spec.method})"]


def _import_nir(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """A NIR graph as a project."""
    from studio.interop.nir_import import import_nir
    from studio.project.project_file import write_project

    out = Path(args.out)
    if out.suffix != PROJECT_SUFFIX:
        raise NeuroCoreError(f"{out}: a NIR graph is imported into a project; name it *{PROJECT_SUFFIX}")
    doc = import_nir(args.file, args.dt)
    write_project(out, doc)
    report = {"file": str(args.file), "out": str(out), "populations": len(doc.populations),
              "projections": len(doc.projections),
              "connections": sum(len(p.rule.sources or ()) for p in doc.projections),
              "devices": len(doc.devices), "dt": doc.dt}
    return report, [f"imported {args.file}: {_count(report['populations'], 'population')}, "
                    f"{_count(report['projections'], 'projection')} ({_count(report['connections'], 'connection')}), "
                    f"{_count(report['devices'], 'device')} -> {out}"]


IMPORTERS = {".nir": _import_nir, NESTML_SUFFIX: _import_nestml, ".py": _import_brian2}
"""What ``ncstudio import`` reads, by the file's suffix: each writes its file and returns (JSON report, lines)."""


def import_command(args: argparse.Namespace) -> int:
    """``ncstudio import FILE -o OUT``: read a file of another tool (by its suffix) into a project or model."""
    suffix = Path(args.file).suffix
    importer = IMPORTERS.get(suffix)
    if importer is None:
        raise NeuroCoreError(f"{args.file}: cannot import `{suffix or 'suffix-less'}` files "
                             f"(known: {', '.join(IMPORTERS)})")
    if not Path(args.file).is_file():
        raise NeuroCoreError(f"{args.file}: no such file")
    report, lines = importer(args)
    if args.json:
        _emit_json(report)
    else:
        print("\n".join(lines))
    return 0
