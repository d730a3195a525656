"""The ``pace`` command line.

Each sub-command lives with the module that does its work: that module exposes
``configure_cli(parser)`` and ``run_cli(args) -> int``. Modules are imported only when
their command runs, so ``pace validate`` does not pay for lifelines or papermill.
Errors caused by input (:class:`~pace_analysis.errors.PaceError`) are printed without a
traceback and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

from pace_analysis import __version__
from pace_analysis.errors import PaceError


@dataclass(frozen=True)
class Command:
    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "validate": Command("pace_analysis.validation", "check a dataset against the data contract"),
    "synth": Command("pace_analysis.synthetic", "generate seeded synthetic data for all 32 councils"),
    "report": Command("pace_analysis.reports", "build per-authority HTML reports and the index"),
    "audit": Command("pace_analysis.audit", "check that no suppressed count of a run can be worked out"),
    "import": Command("pace_analysis.importers", "import an SSDA903 or CLAS-style extract"),
}


def _usage() -> str:
    lines = [
        f"pace {__version__} — time to legal permanence for looked-after children",
        "",
        "usage: pace COMMAND [options]   (pace COMMAND --help for a command's options)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<10} {cmd.help}" for name, cmd in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pace`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"pace-analysis {__version__}")
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"pace: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    command = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"pace {name}", description=command.help)
    try:
        module = importlib.import_module(command.module)
        module.configure_cli(parser)
        args = parser.parse_args(argv[1:])
        return int(module.run_cli(args) or 0)
    except PaceError as exc:
        print(f"pace {name}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"pace {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
