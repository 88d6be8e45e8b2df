"""Every verb's `--help` shows what each optional setting defaults to, as rendered for a
person (Rich swallows text in square brackets, so defaults must go through Typer's own
`show_default`, never be written into the help sentence)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app
from tests.paths import REPO_ROOT


def _commands(group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from _commands(command, (*path, name))
    else:
        yield path


ROOT = typer.main.get_command(app)
COMMANDS = sorted(_commands(ROOT))


def _command(path: tuple[str, ...]):
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


def test_every_verb_is_checked() -> None:
    assert {("run",), ("web",), ("play",), ("score",), ("models", "import")} <= set(COMMANDS)


def _rows(text: str, section: str, names: list[str]) -> dict[str, str]:
    """Each name's row in a help section: from its name to the next name of that section."""
    body = " " + text.split(f" {section} ", 1)[-1]
    marks = sorted((body.find(f" {name} "), name) for name in names)
    assert all(start >= 0 for start, _ in marks), (names, body)
    rows = {}
    for number, (start, name) in enumerate(marks):
        end = marks[number + 1][0] if number + 1 < len(marks) else len(body)
        rows[name] = body[start:end]
    return rows


def _shown_name(argument) -> str:
    return argument.metavar or argument.name


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_every_default(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", result.output))
    params = [p for p in _command(path).params if not getattr(p, "hidden", False)]
    options = [p for p in params if type(p).__name__.endswith("Option")]
    arguments = [p for p in params if p not in options]
    rows = _rows(text, "Options", [p.opts[0] for p in options])
    if arguments:
        rows |= _rows(text, "Arguments", [_shown_name(p) for p in arguments])
    for param in params:
        if param.required or param.name == "help":
            continue
        name = param.opts[0] if param in options else _shown_name(param)
        assert "[default: " in rows[name], f"{' '.join(path)} {name}: no default in {rows[name]!r}"


def test_the_model_fix_names_a_command_that_runs() -> None:
    """After `make run` the command is in `.venv/bin`, not on PATH: the fix says where."""
    import subprocess
    import sys
    from pathlib import Path

    root = REPO_ROOT
    for path, expected in (("/usr/bin:/bin", None), (f"{Path(sys.executable).parent}:/bin", "")):
        message = subprocess.run(
            [sys.executable, "-c", "from models.registry import MISSING_MESSAGE as m; print(m)"],
            capture_output=True,
            text=True,
            cwd=root,
            env={"PATH": path, "PYTHONPATH": str(root)},
            timeout=60,
        ).stdout
        command = message.split("`")[1].removesuffix(" models fetch")
        if expected is None:
            assert command != "selfiebot" and (root / command).exists(), message
            done = subprocess.run([command, "--help"], cwd=root, capture_output=True, timeout=60)
            assert done.returncode == 0
        else:
            assert command == "selfiebot", "on PATH, the plain name"
