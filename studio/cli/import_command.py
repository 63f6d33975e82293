"""``ncstudio import FILE -o OUT``: a model or network from another tool, dispatched by the file's suffix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.errors import NeuroCoreError
from studio.interop.nestml_import import SUFFIX as NESTML_SUFFIX, import_nestml


def _nestml(source: Path, out: Path, args: argparse.Namespace) -> int:
    converted = import_nestml(source, out)
    if args.json:
        print(json.dumps({"source": str(source), "output": str(out), "model": converted.name,
                          "receptors": list(converted.receptors), "method": converted.spec.method}))
    else:
        print(f"{source.name}: {converted.name} -> {out} (receptors {', '.join(converted.receptors) or 'none'}; "
              f"method {converted.spec.method})")
    return 0


IMPORTERS = {NESTML_SUFFIX: (_nestml, ".ncsmodel")}


def import_command(args: argparse.Namespace) -> int:
    """Convert ``args.source`` by its suffix into ``args.output``."""
    source, out = Path(args.source), Path(args.output)
    entry = IMPORTERS.get(source.suffix.lower())
    if entry is None:
        raise NeuroCoreError(f"{source}: cannot import `{source.suffix or source.name}` files "
                             f"(known: {', '.join(sorted(IMPORTERS))})")
    convert, out_suffix = entry
    if out.suffix != out_suffix:
        raise NeuroCoreError(f"{out}: a {source.suffix} file imports into a {out_suffix} file")
    return convert(source, out, args)
