"""Every notebook runs top to bottom at small sizes, and its .py and .ipynb halves agree.

Notebooks are jupytext py:percent sources (``notebooks/NN_name.py``) paired with ``.ipynb``
(make the pair with ``jupytext --sync notebooks/NN_name.py``). A notebook reads
``VERIFY_NOTEBOOK_SMALL=1`` to shrink its sizes; this test sets it.
"""

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.py"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no NN_*.py sources"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_in_sync(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{paired.name} missing: run jupytext --sync {source}"
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]  # noqa: E731
    assert cells(jupytext.read(source)) == cells(nbformat.read(paired, as_version=4))


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_small(source, tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFY_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(source.parents[1]), os.environ.get("PYTHONPATH", "")]))
    nb = jupytext.read(source)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
