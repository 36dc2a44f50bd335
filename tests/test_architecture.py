"""The package layout is the architecture: each package imports only what its docstring allows.

Imports are read from the source (every ``import`` statement, including those inside
functions), so a lazy import cannot slip past the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"

NETWORK_OR_IO = (
    "pywikibot",
    "httpx",
    "requests",
    "sqlite_utils",
    "sqlite3",
    "socket",
    "werkzeug",
    "flask",
    "tenacity",
    "urllib.request",
    "http.client",
    "http.server",
)

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": (
        "bot.adapters",
        "bot.store",
        "bot.run",
        "bot.extract",
        "bot.cli",
        "bot.standins",
        "review_ui",
        *NETWORK_OR_IO,
    ),
    "adapters": ("bot.store", "bot.run", "bot.extract", "bot.cli", "bot.standins", "review_ui"),
    "store": ("bot.adapters", "bot.run", "bot.extract", "bot.cli", "bot.standins", "review_ui"),
    "extract": ("bot.adapters", "bot.run", "bot.cli", "bot.standins", "review_ui"),
    "run": ("bot.cli", "bot.standins", "review_ui"),
    "standins": (
        "bot.core.reconcile",
        "bot.core.wbeditentity",  # apply_edit: the stand-in Commons has its own
        "bot.core.claims",
        "bot.core.decisions",
        "bot.run",
        "bot.store",
        "bot.cli",
    ),
}


# The review page reads the store and shows the core's records; it never runs the bot.
REVIEW_UI_FORBIDDEN = ("bot.adapters", "bot.run", "bot.extract", "bot.cli", "bot.standins")


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, as dotted names (``from a import b`` gives a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violates(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_it_may(package: str) -> None:
    sources = sorted((BOT / package).rglob("*.py"))
    assert sources, f"bot/{package} has no modules"
    wrong = [
        f"{src.relative_to(BOT.parent)} imports {module}"
        for src in sources
        for module in sorted(imported_modules(src))
        if any(violates(module, prefix) for prefix in FORBIDDEN[package])
    ]
    assert not wrong, "\n".join(wrong)


def test_the_review_page_imports_only_the_core_and_the_store() -> None:
    wrong = [
        f"{src.relative_to(ROOT)} imports {module}"
        for src in sorted((ROOT / "review_ui").rglob("*.py"))
        for module in sorted(imported_modules(src))
        if any(violates(module, prefix) for prefix in REVIEW_UI_FORBIDDEN)
    ]
    assert not wrong, "\n".join(wrong)


def test_every_package_says_what_it_holds() -> None:
    for init in sorted(BOT.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "import" in doc, f"{init} needs a docstring naming what it may import"


def test_no_module_left_beside_the_packages() -> None:
    loose = sorted(p.name for p in BOT.glob("*.py") if p.name != "__init__.py")
    assert loose == []
