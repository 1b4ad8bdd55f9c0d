"""The atlas: a real Dask LocalCluster (two single-threaded worker processes on 127.0.0.1)
gives the in-process results, and an interrupted atlas resumes without recomputing."""
from __future__ import annotations

import json
import multiprocessing

import pytest

from verification import atlas as A
from verification.cli import main

# two points: one with a certified Theorem 1 domain (a real search), one where the paper's
# shape fails at every scale (a quick disproof)
POINTS = A.grid("-0.1:0.1:2", "1")
CFG = A.config_with()
FAST = A.config_with(domain=False)


@pytest.fixture(scope="module")
def inprocess(tmp_path_factory):
    return A.run(POINTS, tmp_path_factory.mktemp("inproc"), CFG, mode="inprocess")


def _no_children():
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_grid_is_exact_decimals():
    assert A.grid("-0.2:0.2:5", "0.5:2:4")[:5] == [(m, "0.5", "0", "1") for m in ("-0.2", "-0.1", "0", "0.1", "0.2")]
    assert [p[1] for p in A.grid("0", "0.5:2:4")] == ["0.5", "1", "1.5", "2"]
    assert A.grid("0:1:3", "1")[1][0] == "0.5"
    assert A.grid("0:1:4", "1")[1][0] == "0.333333333333"


def test_inprocess_results(inprocess):
    r = {p[0]: inprocess.results[p] for p in POINTS}
    assert r["-0.1"]["status"] == "solved" and r["-0.1"]["stable"] is True
    assert r["-0.1"]["scale"] >= 1  # the paper's Omega, moved to this fixed point, holds (and more)
    assert r["0.1"]["scale"] == 0.0 and r["0.1"]["scale_failed"].startswith("nu_tilde")
    assert r["0.1"]["scale_fixed_weights"] > 1
    assert len(A.load(inprocess.store)) == 2


def test_dask_local_cluster_matches_inprocess(inprocess, tmp_path):
    with A.local_cluster(2) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert len(cluster.workers) == 2
        assert all(w.nthreads == 1 for w in cluster.scheduler.workers.values())
        run = A.run(POINTS, tmp_path, CFG, mode="dask", scheduler=cluster.scheduler_address)
    assert run.workers == 2
    assert sorted(run.computed) == sorted(POINTS)
    for p in POINTS:
        assert A.comparable(run.results[p]) == A.comparable(inprocess.results[p])
    assert not _no_children()  # the cluster's worker processes are gone


def test_default_dask_run_uses_a_local_cluster_and_shuts_it_down(tmp_path):
    run = A.run(POINTS[:1], tmp_path, FAST, mode="dask", n_workers=2)
    assert run.workers == 2 and run.results[POINTS[0]]["status"] == "solved"
    assert not _no_children()


def test_interrupted_atlas_resumes_without_recomputing(inprocess, tmp_path):
    points = A.grid("-0.1:0.1:2", "1:1.5:2")  # four points, two of them those of ``inprocess``
    seen = []

    def stop_after_two(p, r):
        seen.append(p)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        A.run(points, tmp_path, CFG, mode="inprocess", on_result=stop_after_two)
    store = tmp_path / A.RESULTS_FILE
    assert len(store.read_text().splitlines()) == 2
    # a torn line (a crash in mid-write) is ignored
    with open(store, "a") as fh:
        fh.write('{"key": "torn')
    assert len(A.load(store)) == 2
    with A.local_cluster(2) as cluster:
        run = A.run(points, tmp_path, CFG, mode="dask", scheduler=cluster.scheduler_address)
    assert sorted(run.reused) == sorted(seen)
    assert sorted(run.computed) == sorted(set(points) - set(seen))
    assert len(run.results) == 4
    for p in POINTS:  # the same results as the uninterrupted in-process run
        assert A.comparable(run.results[p]) == A.comparable(inprocess.results[p])
    # a third run computes nothing
    again = A.run(points, tmp_path, CFG, mode="inprocess")
    assert again.computed == [] and len(again.reused) == 4
    # another configuration is another atlas
    assert A.point_key(points[0], CFG) != A.point_key(points[0], FAST)


def test_atlas_cli_on_an_existing_scheduler(tmp_path, capsys):
    js = tmp_path / "a.json"
    with A.local_cluster(2) as cluster:
        code = main(["atlas", "--mu", "-0.1", "0.1", "2", "--nu", "1:2:2", "--no-domain", "--scheduler",
                     cluster.scheduler_address, "--out", str(tmp_path), "--json", str(js)])
    out = capsys.readouterr().out
    assert code == 0
    assert "on the Dask scheduler tcp://127.0.0.1:" in out
    data = json.loads(js.read_text())
    assert data["computed"] == 4 and data["workers"] == 2
    for f in ("atlas.md", "atlas.csv", "atlas.png", A.RESULTS_FILE):
        assert (tmp_path / "atlas" / f).stat().st_size > 0
    # rerun in-process: everything is reused
    code = main(["atlas", "--mu=-0.1:0.1:2", "--nu", "1", "2", "2", "--no-domain", "--in-process", "--out",
                 str(tmp_path), "--json", str(js), "--quiet"])
    assert code == 0 and json.loads(js.read_text())["reused"] == 4


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys):
    code = main(["atlas", "--mu", "0", "--nu", "1", "--no-domain", "--scheduler", "tcp://127.0.0.1:9",
                 "--timeout", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot connect to the Dask scheduler" in err and "Traceback" not in err
