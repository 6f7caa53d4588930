"""Dependencies point down (ARCHITECTURE, issue 11 point 1): core imports no domain app,
and two domain apps never import each other in a circle (customers ↔ visits)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "yingke"
DOMAIN = ("customers", "visits", "imports", "grading", "control", "tracking", "complaints", "reports")


def imports_of(package: str) -> dict[str, set[str]]:
    """module path → the yingke packages it imports (at any level, lazy imports included)."""
    out = {}
    for path in (SRC / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("yingke."):
                names.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("yingke."))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("yingke."):
                names.add(node.value.split(".")[1])  # include("yingke.x.urls"), import_string(...)
        out[str(path.relative_to(SRC))] = names
    return out


def test_core_imports_no_domain_app():
    bad = {m: sorted(n & set(DOMAIN)) for m, n in imports_of("core").items() if n & set(DOMAIN)}
    assert bad == {}


def test_customers_does_not_import_visits():
    bad = {m: "visits" for m, n in imports_of("customers").items() if "visits" in n}
    assert bad == {}


def test_the_checker_sees_imports():
    """The checker itself: visits imports customers (a visit belongs to a guest file)."""
    assert any("customers" in n for n in imports_of("visits").values())


def test_visits_and_customers_do_not_import_the_import_engine():
    """imports reads files into customers and visits; neither needs the engine (the cell
    parsers they share live in core.parsing)."""
    bad = {m: "imports" for app in ("customers", "visits") for m, n in imports_of(app).items() if "imports" in n}
    assert bad == {}
