"""The ``pace`` command line.

Each sub-command lives with the module that does its work: that module exposes
``configure_cli(parser)`` and ``run_cli(args) -> int``. Modules are imported only when
their command runs, so ``pace validate`` does not pay for lifelines or papermill.
Errors caused by input (:class:`~pace_analysis.errors.PaceError`) and operating-system
errors (a file that cannot be read or written, a full disk) are printed as one message
naming the file, without a traceback, and exit with status 2. A closed pipe
(``pace validate ... | head -1``) ends quietly; Ctrl-C exits 130 and SIGTERM 143. Any
other exception is a bug: one line, exit 3 (``PACE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from dataclasses import dataclass

from pace_analysis import __version__
from pace_analysis.errors import PaceError, Terminated
from pace_analysis.writing import os_message


@dataclass(frozen=True)
class Command:
    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "validate": Command("pace_analysis.validate_cli", "check a dataset against the data contract"),
    "synth": Command("pace_analysis.synthetic", "generate seeded synthetic data for all 32 councils"),
    "report": Command("pace_analysis.reports", "build per-authority HTML reports and the index"),
    "audit": Command("pace_analysis.audit", "check that no suppressed count of a run can be worked out"),
    "import": Command("pace_analysis.importers", "import an SSDA903 or CLAS-style extract"),
    "evaluate": Command("pace_analysis.evaluation.command",
                        "did joining PACE change the measures? event study across councils"),
    "whatif": Command("pace_analysis.whatif.command", "project a council's children if one stage were shorter"),
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
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        module = importlib.import_module(command.module)
        module.configure_cli(parser)
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit as exc:  # argparse's usage error (2) or --help (0)
            return exc.code if isinstance(exc.code, int) else 2
        status = int(module.run_cli(args) or 0)
        sys.stdout.flush()
        return status
    except PaceError as exc:
        return _fail(name, str(exc), exc.exit_code)
    except BrokenPipeError:
        # The reader of our output went away (``pace validate ... | head -1``): stop quietly.
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        _fail(name, "interrupted", 130)
        return 130
    except Terminated:
        _fail(name, "terminated", 143)
        return 143
    except MemoryError:
        return _fail(name, "not enough memory for this input; see docs/reports.md "
                           "('Limits') for the sizes pace handles", 2)
    except OSError as exc:
        return _fail(name, os_message(exc).replace("cannot write", "cannot use"), 2)
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug, still no traceback
        if os.environ.get("PACE_DEBUG"):
            raise
        return _fail(name, f"internal error {type(exc).__name__}: {exc} (this is a bug in "
                           "pace-analysis, not in your data; PACE_DEBUG=1 shows the traceback)", 3)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _on_sigterm(signum, frame) -> None:
    raise Terminated(signum)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _fail(name: str, message: str, status: int) -> int:
    try:
        print(f"pace {name}: {message}", file=sys.stderr)
    except (BrokenPipeError, OSError, ValueError):
        pass
    return status

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
