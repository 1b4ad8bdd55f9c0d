"""selu-verify compare / api.compare: one certified row per activation, resumable.

Fast: SELU only, in-process, a tiny budget; the Theorem 1 domain searches (the slow
part) run once, at a coarse grid.  Independent checks: the certificates the JSON names
are replayed here by the checker; S at the fixed point is compared with the mpmath
quadrature oracle (tests/oracle_mpmath.py), which shares no code with the package; a
Theorem 2 bound pushed past the certified extremum is not proved."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

import oracle_mpmath as O
from verification import api, checker
from verification import claims as C
from verification import compare as K
from verification import prove
from verification.domain import Domain
from verification.engine import Runner

QUICK = ("params", "thm2", "thm3a", "thm3b")
CFG = {"resolution": "40", "max_boxes": 1500, "tol": "0.01"}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return out, K.run(["selu"], out, CFG, parts=QUICK)


def _replayed(cert: dict):
    chk = checker.check(open(cert["path"], "rb").read())
    return chk.ok, chk.status


def test_selu_row_is_certified(quick):
    _, cmp_ = quick
    row = cmp_.row("selu")
    p = row["params"]
    assert p["status"] == "solved" and p["unique"] and p["globally_unique"]
    assert p["used"] == {"alpha": "alpha01", "lambda": "lambda01"}
    assert p["fixed_point_certified"] is True and p["stable"] is True
    # S at (0, 0, 1, 1) from the independent quadrature oracle lies in the certified enclosure
    s = O.MomentOracle().quantities(("0", "0", "1", "1"), names=("S",))["S"]
    lo, hi = p["S"]
    assert lo <= float(s) <= hi and hi - lo < 1e-9
    # Theorem 2 holds (max(nu~ - nu) < 0 on Omega+), Theorem 3 holds on both domains
    assert row["thm2"]["holds"] is True and row["thm2"]["enclosure"][1] < 0
    assert row["thm3a"]["holds"] is True and row["thm3a"]["enclosure"][0] > 0
    assert row["thm3b"]["holds"] is True and row["thm3b"]["enclosure"][0] > 0
    assert row["thm1_scale"] is None and row["thm1_nu"] is None  # not asked
    assert cmp_.complete


def test_every_certificate_in_the_json_replays(quick):
    _, cmp_ = quick
    data = json.loads(json.dumps(cmp_.to_dict()))
    certs = data["certificates"]
    assert len(certs) == len(QUICK)
    for c in certs:
        assert c["checker"] is True
        assert _replayed(c) == (True, c["status"])
        assert "@" in c["id"]  # never under a registered claim's name


def test_theorem2_bound_past_the_certified_extremum_is_not_proved(quick):
    _, cmp_ = quick
    r = cmp_.row("selu")["thm2"]
    lo = Fraction(r["enclosure"][0])
    part = C.Extremum("t", "nu_tilde - nu", "max", Domain.from_json(r["domain"]),
                      threshold=str(lo - Fraction(1, 10 ** 6)), tol=C.NO_TOL)
    with Runner(1) as runner:
        pr = prove.run_extremum(part, C.get("thm2-variance-decreases").params, runner, prove.DEFAULT_BITS)
    assert pr.status != "proved"


def test_rerun_reuses_replayed_tasks_and_recomputes_a_tampered_one(quick, tmp_path):
    out, first = quick
    again = K.run(["selu"], out, CFG, parts=QUICK)
    assert sorted(again.reused) == sorted(("selu", p) for p in QUICK) and not again.computed
    assert [K.comparable(again.results[k]) for k in sorted(again.results)] == \
        [K.comparable(first.results[k]) for k in sorted(first.results)]
    # a copied output folder resumes too (paths are relative), and a certificate that no
    # longer replays makes its task run again
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    path = copy / "selu" / "certificates" / "thm2.json"
    path.write_text(path.read_text().replace('"nu_tilde - nu"', '"nu_tilde + nu"', 1))
    third = K.run(["selu"], copy, CFG, parts=QUICK)
    assert third.computed == [("selu", "thm2")]
    assert _replayed(third.certificates()[1]) == (True, "proved")


def test_interrupted_run_resumes(tmp_path):
    seen = []

    def stop_after_one(a, p, r, reused):
        seen.append(p)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        K.run(["selu"], tmp_path, CFG, parts=("params", "thm2"), on_result=stop_after_one)
    store = tmp_path / K.RESULTS_FILE
    assert len(store.read_text().splitlines()) == 1
    with open(store, "a") as fh:  # a torn line from a crash is ignored
        fh.write('{"key": "torn')
    done = K.run(["selu"], tmp_path, CFG, parts=("params", "thm2"))
    assert done.reused == [("selu", seen[0])] and len(done.computed) == 1


def test_theorem1_domain_is_certified_at_a_coarse_grid(tmp_path):
    r = K.compare_task("selu", "thm1-scale", K.config_with(**CFG), str(tmp_path))
    assert r["status"] == "proved" and Fraction(r["scale"]) >= 1  # at least the paper's Omega
    c = r["certificates"][0]
    assert c["checker"] and _replayed({**c, "path": tmp_path / c["path"]}) == (True, "proved")
    assert r["maximal"]  # one grid step larger is not proved


def test_result_object(quick):
    _, cmp_ = quick
    assert repr(cmp_).startswith("<Comparison at (0, 1): selu: S 0.78") and len(repr(cmp_)) < 120
    assert "<table>" in cmp_._repr_html_() and "selu" in cmp_._repr_html_()
    assert all(len(line) <= 80 for line in cmp_.table().splitlines())
    assert "| selu |" in cmp_.markdown()


def test_api_twin(quick):
    out, _ = quick
    cmp_ = api.compare("selu", out=out, resolution=CFG["resolution"], max_boxes=CFG["max_boxes"], tol=CFG["tol"],
                       parts=QUICK)
    assert not cmp_.computed and cmp_.row("selu")["params"]["stable"] is True


def test_cli_json_and_figure(quick, cli, tmp_path):
    out, _ = quick
    js, png = tmp_path / "c.json", tmp_path / "c.png"
    code, stdout, err = cli("compare", "--activations", "selu", "--in-process", "--out", str(out.parent),
                            "--resolution", "40", "--max-boxes", "1500", "--tol", "0.01",
                            "--parts", ",".join(QUICK), "--json", str(js), "--plot", str(png))
    # the CLI writes under OUT/compare: a fresh store there, computed now (quick parts only)
    assert code == 0, err
    assert all(len(line) <= 80 for line in stdout.splitlines() if str(tmp_path.parent) not in line)
    data = json.loads(js.read_text())
    assert [r["activation"] for r in data["rows"]] == ["selu"]
    for c in data["certificates"]:
        assert _replayed(c) == (True, c["status"])
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("argv, needle", [
    (["--activations", "selu,nosuch"], "unknown activation 'nosuch'; known: selu"),
    (["--activations", "__import__('os')"], "unknown activation"),
    (["--activations", "selu,x>=0: __import__('os'); x<0: 0"], "unknown function '__import__'"),
    (["--activations", "x>=0: x**1000; x<0: 0"], "power 1000"),
    (["--activations", "x>=0: exp(x*x); x<0: 0"], "not in the family"),
    (["--parts", "thm9"], "unknown part 'thm9'"),
    (["--plot", "figure.xyz"], "--plot"),
    (["--plot", "no/such/folder/figure.png"], "does not exist"),
    (["--resolution", "-1"], "resolution"),
    (["--in-process", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
])
def test_bad_input_exits_2_with_one_line(cli, argv, needle, tmp_path):
    code, out, err = cli("compare", "--out", str(tmp_path), *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert not (tmp_path / "compare").exists()  # nothing computed


def test_a_user_activation_flows_through(tmp_path, monkeypatch):
    """(The slowest test here, ~12 s: it generates the user's kernels.)  The user's own shifted ReLU (a spec, kernels generated into a private cache) gets
    the certified parameters of the built-in relu, and its certificates replay."""
    monkeypatch.setenv("SELU_THEORY_CACHE", str(tmp_path / "cache"))
    (uid,) = K.parse_activations("x>=0: lam*x - lam*b; x<0: -lam*b")
    assert uid.startswith("u") and uid not in K.known_activations()
    cmp_ = K.run([uid, "relu"], tmp_path / "out", CFG, parts=("params",))
    mine, builtin = cmp_.row(uid)["params"], cmp_.row("relu")["params"]
    assert mine["status"] == builtin["status"] == "solved"
    for label in ("b", "lambda"):
        lam = "lam" if label == "lambda" else label  # the user named it lam: its label is its name
        assert abs(mine["parameters"][lam]["float"] - builtin["parameters"][label]["float"]) < 1e-15
    assert mine["stable"] is builtin["stable"] is False
    assert "your activation" in cmp_.table()
    for c in cmp_.certificates():
        assert _replayed(c) == (True, c["status"])


def test_dask_local_cluster_gives_the_inprocess_results(quick, tmp_path):
    pytest.importorskip("distributed")
    import multiprocessing
    _, inproc = quick
    parts = ("params", "thm2")
    # pools other tests left for reuse (the checker keeps one per process) are not ours
    before = set(multiprocessing.active_children())
    run = K.run(["selu"], tmp_path, CFG, mode="dask", n_workers=2, parts=parts)
    assert run.workers == 2 and sorted(run.computed) == [("selu", p) for p in sorted(parts)]
    for p in parts:
        assert K.comparable(run.results[("selu", p)]) == K.comparable(inproc.results[("selu", p)])
    left = [c for c in multiprocessing.active_children() if c.is_alive() and c not in before]
    assert not left  # the cluster is gone
