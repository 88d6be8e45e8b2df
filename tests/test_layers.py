"""Layers point one way: `inference`, `models` and `storage` never import `bot`, and the core
(`bot/core`) never imports a platform library or an adapter.

Read from the source (every import statement, including the lazy ones inside functions and
those under `TYPE_CHECKING`), so an arrow pointing up fails here before it is ever run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWER_PACKAGES = ("inference", "models", "storage")
PLATFORM_LIBRARIES = ("telegram", "discord", "fastapi", "starlette", "uvicorn")
ADAPTERS = ("bot.telegram", "bot.discord", "bot.web", "bot.terminal", "bot.serve", "bot.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path, module: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file (named `module`, by default from its
    path); a relative import is made absolute, and `from a import b` yields both `a` and `a.b`
    (b may be a submodule)."""
    package = (module or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def within(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in roots)


def offences(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for package in packages
        for path in modules(package)
        for line, name in imported(path)
        if within(name, forbidden)
    ]


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The walker itself: top-level, lazy, TYPE_CHECKING and relative imports all count."""
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.settings import Settings\n"
        "def f():\n    import bot.cli\n"
        "from . import records\n",
        encoding="utf-8",
    )
    found = {name for _, name in imported(sample, "storage.probe")}
    assert {"bot.settings", "bot.cli", "storage.records"} <= found


@pytest.mark.parametrize("package", LOWER_PACKAGES)
def test_lower_layers_never_import_the_bot(package: str) -> None:
    """They take small config objects (`models.config.ModelPaths`,
    `inference.config.AnalyzerConfig`) that the bot builds from its Settings."""
    assert modules(package), f"no modules found under {package}/"
    assert offences((package,), ("bot",)) == []


def test_the_core_imports_no_platform_library_and_no_adapter() -> None:
    assert modules("bot/core")
    assert offences(("bot/core",), PLATFORM_LIBRARIES + ADAPTERS) == []


def test_the_web_goes_through_the_game() -> None:
    """The page and the JSON API score, decode and draw through `Game` (`score_unrecorded`,
    `preview`, `result_card`) like the chat front ends, never the analyzer or its decoder."""
    assert modules("bot/web")
    assert offences(("bot/web",), ("inference",)) == []


def test_the_web_check_sees_an_import_of_inference(tmp_path: Path) -> None:
    """The check above is not vacuous: the web's old way to the decoder is an offence."""
    sample = tmp_path / "photos.py"
    sample.write_text("from inference import PhotoError, decode_photo\n", encoding="utf-8")
    found = [name for _, name in imported(sample, "bot.web.photos")]
    assert any(within(name, ("inference",)) for name in found)


CYCLE_FREE = (
    LOWER_PACKAGES,
    ("bot/core",),
    ("bot/web",),
    ("bot/telegram",),
    ("bot/discord",),
    ("bot/terminal",),
)


def import_cycles(packages: tuple[str, ...]) -> list[str]:
    """Every import cycle among the modules of `packages` (imports elsewhere are ignored)."""
    paths = [path for package in packages for path in modules(package)]
    names = {module_name(path) for path in paths}
    graph = {
        module_name(path): {name for _, name in imported(path) if name in names}
        - {module_name(path)}
        for path in paths
    }
    # A package's __init__ re-exporting its own submodules is not a cycle of responsibility.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(f"{t}.")}
    cycles: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


@pytest.mark.parametrize("packages", CYCLE_FREE, ids=lambda packages: "+".join(packages))
def test_no_import_cycles(packages: tuple[str, ...]) -> None:
    """Module-level cycles hide which module owns what (models.install <-> models.registry
    and bot.web.app <-> its routers were two): each module may need the ones below it, never
    one that needs it back."""
    assert all(modules(package) for package in packages)
    assert import_cycles(packages) == []
