"""numba's cache of the grid kernels lives in the user cache directory
(``selu_theory.numba_cache``), is invalidated when any jitted source changes, and a sweep
made once in a process is not made again by its certificate's replay
(``grid_sweep.sweep``'s memo)."""
from __future__ import annotations

import dataclasses
import pathlib

import numba
import numpy as np

from selu_theory import grid_kernels as gk
from selu_theory import mr_arith, numba_cache, user_cache
from selu_theory.params import Params
from verification import claims as C
from verification import paper_grid as pg

P = Params()


def test_the_package_kernels_are_cached_in_the_user_cache_dir():
    assert numba_cache.PackageCacheLocator in numba_cache._IMPL._locator_classes
    locator = gk.sweep_S._cache._impl.locator
    assert isinstance(locator, numba_cache.PackageCacheLocator)
    assert numba_cache.cache_dir() in pathlib.Path(locator.get_cache_path()).parents


def test_the_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(numba_cache.ENV, raising=False)
    monkeypatch.setenv(user_cache.ENV, str(tmp_path / "c"))
    assert numba_cache.cache_dir() == tmp_path / "c" / "numba"
    monkeypatch.setenv(numba_cache.ENV, str(tmp_path / "n"))
    assert numba_cache.cache_dir() == tmp_path / "n"


def test_only_the_package_files_and_no_user_numba_cache_dir(monkeypatch, tmp_path):
    f = mr_arith.mr_add.py_func
    assert numba_cache.PackageCacheLocator.from_function(f, mr_arith.__file__) is not None

    def mine(x):
        return x
    assert numba_cache.PackageCacheLocator.from_function(mine, __file__) is None   # numba's own locators
    monkeypatch.setattr(numba.core.config, "CACHE_DIR", str(tmp_path))             # NUMBA_CACHE_DIR wins
    assert numba_cache.PackageCacheLocator.from_function(f, mr_arith.__file__) is None


def test_the_stamp_changes_with_any_jitted_source(monkeypatch, tmp_path):
    # a sweep inlines primitives of other files: their contents are part of every stamp
    (tmp_path / "_generated" / "x").mkdir(parents=True)
    jitted = tmp_path / "_generated" / "x" / "grid_mr_kernels.py"
    plain = tmp_path / "notes.py"
    jitted.write_text("from numba import njit\n")
    plain.write_text("x = 1\n")
    monkeypatch.setattr(numba_cache, "_PACKAGE", tmp_path)
    tags = []
    for edit in (None, lambda: plain.write_text("x = 2\n"), lambda: jitted.write_text("from numba import njit\n#\n")):
        if edit:
            edit()
        numba_cache.dependency_tag.cache_clear()
        tags.append(numba_cache.dependency_tag())
    numba_cache.dependency_tag.cache_clear()
    assert tags[0] == tags[1] != tags[2]


def _axes(scale="20"):
    steps = pg.scaled_steps(pg.LEMMA43, scale)
    return tuple(pg.make_axis(v, lo, hi, steps[v], "both") for v, (lo, hi) in zip(pg.VARS, C.OMEGA_MINUS.bounds))


def test_a_sweep_of_the_same_inputs_is_reused_and_equal():
    axes = _axes()
    a = pg.sweep(axes, "mu_tilde**2", P, threads=1)
    b = pg.sweep(axes, "mu_tilde**2", P, threads=2)          # the thread count changes nothing
    c = pg.sweep(axes, "mu_tilde**2", P, reuse=False)
    assert b.reused and not a.reused and not c.reused
    for x, y in ((a, b), (a, c)):
        for f in ("hi", "lo", "amax", "imax", "amin", "imin", "rad", "bad"):
            assert np.array_equal(getattr(x, f), getattr(y, f)), f
    b.hi[:] = 0    # a copy: the memo is not changed through a result
    assert pg.sweep(axes, "mu_tilde**2", P).max_upper == a.max_upper
    assert not pg.sweep(axes, "mu_tilde**2", Params(alpha="1.7", lam="1.05")).reused   # other parameters
    cells = tuple(max(1, n // 2) for n in a.cells)
    assert not pg.sweep(axes, "mu_tilde**2", P, cells=cells).reused   # other cells: another sweep


def test_a_false_twin_threshold_just_above_the_grid_max_is_not_proved(tmp_path):
    # between the grid's max and the true max: the slack must keep it from being proved
    steps = pg.scaled_steps(pg.LEMMA43, "8")
    axes = tuple(pg.make_axis(v, lo, hi, steps[v], "both") for v, (lo, hi) in zip(pg.VARS, C.OMEGA_MINUS.bounds))
    top = pg.sweep(axes, "mu_tilde**2", P).max_upper
    twin = dataclasses.replace(pg.LEMMA43, threshold=pg.decimal_up(top, 8))
    run = pg.run_paper_grid(twin, P, ["both"], scale="8", workers=1, certificate_dir=tmp_path)
    assert pg.status_of(run) == "undecided", [(b.mode, b.status) for b in run.results[0].bounds]
    assert run.derivatives.status == "proved" and run.results[0].certificate is None
    # the real threshold is proved by a certificate that replays
    run = pg.run_paper_grid(pg.LEMMA43, P, ["both"], scale="8", workers=1, certificate_dir=tmp_path)
    assert pg.status_of(run) == "proved" and run.results[0].replay[:2] == (True, "proved")
