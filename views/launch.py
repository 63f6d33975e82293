"""The ``ncstudio`` command: the Qt-free command line of :mod:`studio.cli.main`, plus the window.

The headless subcommands never import Qt; the window form imports :mod:`views.app`
only when it opens, and says what to install when PySide6 or pyqtgraph is missing.
"""

from __future__ import annotations

import argparse
import sys

from studio.cli.main import main as cli_main
from studio.cli.subcommands import GuiUnavailable


def open_window(args: argparse.Namespace, headless: str) -> int:
    """Open the studio window for the parsed window form; ``headless`` names the run without a window."""
    try:
        from views.app import run_studio
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
            raise GuiUnavailable(f"the studio window needs PySide6 and pyqtgraph (pip install "
                                 f"'neurocore-studio[gui]'; {exc}); {headless}") from None
        raise GuiUnavailable(f"the studio's views cannot be imported ({exc}); reinstall NeuroCore Studio "
                             f"(pip install -e .); {headless}") from None
    return run_studio(args.target, run=args.run, screenshot=args.screenshot, quit=args.quit,
                      workspace=args.workspace)


def main(argv: list[str] | None = None) -> int:
    """Run ``ncstudio`` with ``argv`` (default: the process arguments); return the exit status."""
    return cli_main(argv, open_window=open_window)


if __name__ == "__main__":
    sys.exit(main())
