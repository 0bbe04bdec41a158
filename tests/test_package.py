"""The layout of the utils package explains itself: every module is listed, and says which
page teaches it; every public function has a docstring."""

from __future__ import annotations

import ast
import importlib
import inspect

from pages import ROOT

import utils

MODULES = sorted(p.stem for p in (ROOT / "utils").glob("*.py") if not p.stem.startswith("_"))


def test_all_lists_every_module():
    assert sorted(utils.__all__) == MODULES


def test_every_module_names_the_page_that_teaches_it():
    for name in MODULES:
        doc = ast.get_docstring(ast.parse((ROOT / "utils" / f"{name}.py").read_text())) or ""
        assert "taught on" in doc.lower(), f"utils/{name}.py: the module docstring should name its page"


def test_every_public_function_has_a_docstring():
    missing = []
    for name in MODULES:
        module = importlib.import_module(f"utils.{name}")
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj):
                missing.append(f"utils.{name}.{attr}")
    assert not missing, missing


def modules_used(page) -> list[str]:
    """The utils modules a notebook imports (``from utils import x``, ``utils.x``)."""
    import json

    found = set()
    for cell in json.loads(page.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:  # a cell that shows a syntax error on purpose
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "utils":
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("utils."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("utils.")}
    return sorted(found)


def page_table() -> dict[str, list[str]]:
    """The page -> modules table of utils/__init__.py's docstring, parsed."""
    doc = utils.__doc__ or ""
    rows = {}
    for line in doc.split("Page ", 1)[-1].splitlines()[2:]:
        if not line.strip():
            break
        page, _, modules = line.partition(" ")
        rows[page] = sorted(m.strip() for m in modules.split(",") if m.strip())
    return rows


def test_the_package_docstring_maps_every_page_to_the_modules_it_uses():
    from pages import toc_notebooks

    actual = {
        p.relative_to(ROOT / "chapters").with_suffix("").as_posix(): modules_used(p) for p in toc_notebooks()
    }
    assert page_table() == actual


def test_every_module_is_used_by_a_page_or_named_as_shared():
    from pages import toc_notebooks

    used = set().union(*(modules_used(p) for p in toc_notebooks()))
    assert set(MODULES) <= used, f"modules no page imports: {sorted(set(MODULES) - used)}"
