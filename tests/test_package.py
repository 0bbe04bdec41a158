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
