"""The `bookstore` entry point imports only the module of the command that runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.main import COMMANDS

PROBE = """
import sys
from contextlib import suppress
from cli.main import COMMANDS, main
with suppress(SystemExit):
    main(sys.argv[1:])
print(sorted(m for _name, (m, _help) in COMMANDS.items() if m in sys.modules))
"""


def imported_command_modules(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False
    )
    return eval(done.stdout.strip().splitlines()[-1])  # noqa: S307  # our own probe's list


def test_help_imports_no_command_module() -> None:
    assert imported_command_modules("--help") == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_imports_only_its_own_module(command: str) -> None:
    assert imported_command_modules(command, "--help") == [COMMANDS[command][0]]
