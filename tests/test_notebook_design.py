"""The 'Designing your own SELU' notebook runs end to end (fast mode, under a minute)."""
from __future__ import annotations

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "designing_your_own_selu.ipynb"


def test_notebook_runs_in_fast_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("SELU_DESIGN_FAST", "1")
    monkeypatch.setenv("SELU_DESIGN_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parents[1])}})
    client.execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                     if o.get("output_type") == "stream")
    assert "fast mode" in text
    assert "1.9769021954242003" in text  # the notebook example, certified
    assert "NOT stable" in text
    assert "smallest certified nu_lo" in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert (tmp_path / "out" / "domain" / "domain.png").exists()
    assert (tmp_path / "out" / "atlas" / "atlas.png").exists()
