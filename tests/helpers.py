"""Small builders shared by the tests: open a bundle, write and collect a submission."""

from __future__ import annotations

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
