"""docs/api.ipynb, run in a real kernel (nbclient): every cell runs, results show as HTML with MathML and
nothing fetched, the numbers are the reference's, and docs/api.md is that run's rendering."""

from __future__ import annotations

import ast
import importlib.util
import re

import pytest
from paths import ROOT
from reference import finite_differences

SCRIPT = ROOT / "scripts" / "make_notebook.py"


@pytest.fixture(scope="module")
def executed():
    """The notebook as scripts/make_notebook.py runs it, and the script itself."""
    pytest.importorskip("nbclient")
    spec = importlib.util.spec_from_file_location("make_notebook", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import nbformat

    notebook = nbformat.read(module.NOTEBOOK, as_version=4)
    return module.execute(notebook), module


def outputs_of(notebook, fragment: str) -> list[dict]:
    """The outputs of the code cell whose source holds ``fragment``."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and fragment in c.source)
    return cell.outputs


def test_every_cell_runs_and_nothing_is_an_error(executed):
    notebook, _ = executed
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert all(output.output_type != "error" for output in cell.outputs), cell.source


def test_results_show_as_html_with_mathml_and_fetch_nothing(executed):
    notebook, _ = executed
    html = outputs_of(notebook, "d = derive(")[0]["data"]["text/html"]
    assert "<math" in html and "<mfrac" in html
    latex = outputs_of(notebook, "d = derive(")[0]["data"]["text/latex"]  # for nbconvert's PDF
    assert "\\frac{dL}{dW_{i}}" in latex and "\\documentclass" not in latex
    assert not re.search(r"<script|<link|\bsrc=|\bhref=|@import", html)
    check = outputs_of(notebook, "rnncalc.check(")[0]["data"]["text/html"]
    assert "all agree" in check


def test_the_numbers_are_the_independent_references(executed):
    notebook, _ = executed
    shown = ast.literal_eval(outputs_of(notebook, "d.gradients.items()")[0]["data"]["text/plain"])
    theta = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}
    reference = finite_differences([1, 0], [1, 1], theta)
    assert shown == pytest.approx(reference, abs=2e-6)  # shown to 6 decimals


def test_the_graph_is_a_picture_where_graphviz_is_installed(executed):
    notebook, _ = executed
    import shutil

    data = outputs_of(notebook, "build_graph(")[-1]["data"]
    assert ("image/svg+xml" in data) == (shutil.which("dot") is not None)


def test_docs_api_md_is_this_run(executed):
    notebook, module = executed
    assert module.PAGE.read_text(encoding="utf-8") == module.page(notebook), "run scripts/make_notebook.py"
