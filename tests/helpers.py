"""Small builders shared by the tests: open a bundle, write and collect a submission."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
from nbformat import NotebookNode

from evalround.course import Course
from evalround.simulation import read_bundle
from evalround.submission import CollectOutcome, collect


def bundle_notebook(course: Course, cid: str, slug: str = "template") -> NotebookNode:
    files = read_bundle(course.bundle_dir() / f"{cid}.zip")
    return nbformat.reads(files[f"{slug}/{slug}.ipynb"].decode(), as_version=4)


def submit(course: Course, cid: str, nb: NotebookNode, slug: str = "template",
           tag: str = "") -> list[CollectOutcome]:
    folder = course.root.parent / f"inbox{tag}" / cid
    (folder / slug).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / slug / f"{slug}.ipynb")
    return collect(course, [folder])


def load_module(path: Path, module_name: str) -> ModuleType:
    """An exercise's generator or answers, imported by path (folders have dashes)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # as evalround does: dataclasses look it up
    spec.loader.exec_module(module)
    return module
