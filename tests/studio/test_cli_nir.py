"""``ncstudio import FILE.nir`` and ``ncstudio export PROJECT --to nir``, run for real in a subprocess."""

from __future__ import annotations

import json

import nir
import numpy as np

from studio.project.project_file import EXAMPLES, read_project
from tests.studio.test_cli import assert_one_line_error, ncstudio
from tests.studio.test_nir import two_layers


def test_import_writes_a_project_that_runs_and_export_writes_a_graph_nir_reads(tmp_path):
    nir.write(tmp_path / "net.nir", two_layers())
    done = ncstudio("import", "net.nir", "-o", "net.ncsproj", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("imported net.nir: 3 populations, 2 projections (20 connections), 2 devices "
                           "-> net.ncsproj\n")
    doc = read_project(tmp_path / "net.ncsproj")
    assert [p.name for p in doc.populations] == ["input", "lif1", "cuba"]
    run = ncstudio("run", "net.ncsproj", "--duration", "5ms", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["n_neurons"] == 9

    done = ncstudio("export", "net.ncsproj", "--to", "nir", "-o", "back.nir", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote back.nir (nir)\n"
    graph = nir.read(tmp_path / "back.nir")
    np.testing.assert_array_equal(graph.nodes["cuba"].tau_mem, [0.01, 0.02])


def test_import_takes_dt_from_the_command_line_and_reports_json(tmp_path):
    nir.write(tmp_path / "net.nir", two_layers())
    done = ncstudio("import", "net.nir", "-o", "net.ncsproj", "--dt", "0.5ms", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dt"] == "0.0005 s" and report["connections"] == 20
    assert read_project(tmp_path / "net.ncsproj").dt == "0.0005 s"


def test_import_and_export_refusals_are_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.nir").write_text("not HDF5")
    assert_one_line_error(ncstudio("import", "notes.txt", "-o", "a.ncsproj", cwd=tmp_path),
                          r"notes.txt: cannot import `\.txt` files \(known: \.nir, \.nestml, \.py\)")
    assert_one_line_error(ncstudio("import", "broken.nir", "-o", "a.ncsproj", cwd=tmp_path),
                          r"broken.nir: not a NIR graph the nir package reads")
    assert_one_line_error(ncstudio("import", "missing.nir", "-o", "a.ncsproj", cwd=tmp_path),
                          r"missing.nir: no such file")
    assert_one_line_error(ncstudio("export", EXAMPLES / "brunel.ncsproj", "--to", "nir", "-o", "b.nir", cwd=tmp_path),
                          r"population `E`: model `\w+` has no NIR counterpart")
    assert not (tmp_path / "b.nir").exists()
