import subprocess
import sys

from pace_analysis import __version__
from pace_analysis.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_no_arguments_prints_usage_and_fails(capsys):
    assert main([]) == 2
    assert "usage: pace COMMAND" in capsys.readouterr().out


def test_unknown_command_exits_2(capsys):
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_every_command_module_exposes_the_cli_hooks():
    import importlib

    for cmd in COMMANDS.values():
        module = importlib.import_module(cmd.module)
        assert callable(module.configure_cli) and callable(module.run_cli)


def test_console_script_is_installed_and_runs():
    result = subprocess.run(
        [sys.executable, "-m", "pace_analysis.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "pace-analysis" in result.stdout
