"""An atlas of an activation's parameters (SELU's by default; ``config["activation"]``)
over a grid of target fixed points, computed on Dask.

For each grid point (mu*, nu*) under weights (omega, tau): the Krawczyk-certified
parameters (``selu_theory.fixed_point.solve_parameters``; for SELU alpha, lambda, with
results keyed by the parameters' labels), the certified spectral norm S and spectral radius at
the fixed point, and, when S < 1, the certified domain size: the largest factor s by which
the paper's Omega, centred and scaled on the fixed point, can be blown up with Theorem 1
still proved (``domain_search``, grid step ``scale_step``), and optionally the Theorem 2/3
variance ends.  Every number is decided by the claims engine; floats only guide it.

Execution: ``mode="dask"`` submits one task per point to a Dask cluster, a LocalCluster
of worker processes on 127.0.0.1 by default or the scheduler at ``scheduler``;
``mode="inprocess"`` runs the same function in this process.  A task is a pure function
of its point and the configuration, so both give the same results.  Each finished point
is appended to ``atlas.jsonl`` (flushed and fsynced) as it arrives; a rerun with the same
configuration skips the points already there, so an interrupted atlas resumes where it
stopped.  python-flint is not thread-safe: tasks in one worker process are serialised by
a lock, so give workers one thread each (``dask worker --nthreads 1``) to use every core.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import pathlib
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from selu_theory.fixed_point import FixedPointError, solve_parameters
from selu_theory.params import DEFAULT_ACTIVATION, ParamError, Params, activation_parameters
from verification import domain_search as DS
from verification.engine import Runner
from verification.files import write_atomic
from verification.scaled_claims import (
    OMEGA_PLUS_SHAPE,
    OMEGA_SHAPE,
    THM3A_SHAPE,
    Centre,
    DesignInputError,
    dec,
    parse_number,
)

F = Fraction

RESULTS_FILE = "atlas.jsonl"
DEFAULT_CONFIG = {"domain": True, "variance": False, "scale_step": "0.25", "variance_step": "0.1",
                  "min_margin": "0.002", "min_margin_S": "0.08", "max_boxes": 24_000}
QUANTITIES = ("S", "scale", "scale_fixed_weights")  # the heat maps, after the parameters
_LOCK = threading.Lock()


class AtlasInputError(ValueError):
    pass


# --------------------------------------------------------------------------- the grid

def parse_range(text: str, what: str, positive: bool = False) -> list:
    """'LO:HI:N' (N >= 1 points, endpoints included) or a single value -> exact decimals."""
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            vals = [parse_number(parts[0], what, positive)]
        elif len(parts) == 3:
            lo, hi = parse_number(parts[0], what, positive), parse_number(parts[1], what, positive)
            try:
                n = int(parts[2])
            except ValueError:
                raise AtlasInputError(f"{what}: the number of points must be an integer; got {parts[2]!r}") from None
            if not 1 <= n <= 200:
                raise AtlasInputError(f"{what}: between 1 and 200 points; got {n}")
            if lo > hi:
                raise AtlasInputError(f"{what}: lower end {dec(lo)} exceeds upper end {dec(hi)}")
            vals = [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        else:
            raise AtlasInputError(f"{what} must be LO:HI:N or a single number; got {text!r}")
    except DesignInputError as exc:
        raise AtlasInputError(str(exc)) from None
    return [_round(v) for v in vals]


def _round(q: Fraction) -> str:
    s = dec(q)
    if "/" in s:  # a non-terminating grid value: 12 decimals
        s = dec(F(round(q * 10 ** 12), 10 ** 12))
    return s


def grid(mu="-0.2:0.2:5", nu="0.5:2:7", omega="0", tau="1") -> list:
    """[(mu*, nu*, omega, tau)] as exact decimal strings, mu* varying fastest."""
    mus = parse_range(mu, "mu*")
    nus = parse_range(nu, "nu*", positive=True)
    om = parse_range(omega, "omega")
    ta = parse_range(tau, "tau", positive=True)
    if len(om) != 1 or len(ta) != 1:
        raise AtlasInputError("omega and tau must be single numbers")
    return [(m, n, om[0], ta[0]) for n in nus for m in mus]


def activation_of(cfg: dict) -> str:
    """The configuration's activation: SELU unless it says otherwise (a SELU configuration
    carries no "activation" key, so its hash, and a resumed SELU atlas, are unchanged)."""
    return cfg.get("activation", DEFAULT_ACTIVATION)


def labels(cfg: dict) -> tuple:
    """The labels of the activation's parameters: the result keys ("alpha", "lambda")."""
    return tuple(p.label for p in activation_parameters(activation_of(cfg)).parameters)


def config_with(**over) -> dict:
    cfg = dict(DEFAULT_CONFIG)
    cfg.update({k: v for k, v in over.items() if v is not None})
    if cfg.get("activation") == DEFAULT_ACTIVATION:
        del cfg["activation"]
    elif "activation" in cfg:
        try:
            activation_parameters(cfg["activation"])
        except ParamError as exc:
            raise AtlasInputError(str(exc)) from None
    for k in ("scale_step", "variance_step", "min_margin", "min_margin_S"):
        cfg[k] = str(cfg[k])
        try:
            q = F(cfg[k])
        except (ValueError, ZeroDivisionError):
            raise AtlasInputError(f"{k} must be a number; got {cfg[k]!r}") from None
        if not (0 < q <= 1 or (k.startswith("min_margin") and q == 0)):
            raise AtlasInputError(f"{k} must be in (0, 1]; got {cfg[k]}")
    if int(cfg["max_boxes"]) < 1:
        raise AtlasInputError("max_boxes must be at least 1")
    return cfg


def config_hash(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:12]


def point_key(point, cfg: dict) -> str:
    return "|".join(point) + "|" + config_hash(cfg)


# --------------------------------------------------------------------------- one point (the task)

def atlas_point(point, cfg: dict) -> dict:
    """Everything the atlas shows for one target: a pure function of (point, cfg).

    Returns JSON-ready values; ``seconds`` is the only field that varies between runs."""
    with _LOCK:  # python-flint: precision is process-global and it is not thread-safe
        t0 = time.perf_counter()
        out = _atlas_point(point, cfg)
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out


def _atlas_point(point, cfg: dict) -> dict:
    FIXED_WEIGHTS_SHAPE = OMEGA_SHAPE.replace(name="Omega at omega*, tau*", omega=(F(0), F(0)), tau=(F(1), F(1)))

    mu, nu, omega, tau = point
    activation = activation_of(cfg)
    res = {"mu": mu, "nu": nu, "omega": omega, "tau": tau}
    try:
        fp = solve_parameters(activation, mu, nu, omega, tau)
    except FixedPointError as exc:
        res.update(status="no solution", message=str(exc))
        return res
    S, rho = fp.spectral_norm, fp.spectral_radius
    names = {p.name: p.label for p in activation_parameters(activation).parameters}
    res.update(status="solved")
    for n, b in fp.balls.items():
        res[names[n]] = float(b.mid())
    for n, b in fp.balls.items():
        res[names[n] + "_text"] = b.mid().str(20, radius=False)
    res.update(S=float(S.mid()), S_lo=float(S.lower().mid()), S_hi=float(S.upper().mid()),
               rho=float(rho.mid()) if rho is not None else None,
               stable=fp.stable, globally_unique=fp.globally_unique, convention=fp.convention)
    if not cfg.get("domain"):
        return res
    if fp.stable is not True:
        res.update(scale=0.0, scale_text="0", scale_fixed_weights=0.0, scale_fixed_weights_text="0",
                   domain_note="S >= 1 at the fixed point: no domain around it is a contraction")
        return res
    params = Params(activation=activation, **{n: b.mid().str(32, radius=False) for n, b in fp.balls.items()})
    centre = Centre(F(mu), F(nu), F(omega), F(tau))
    step = F(cfg["scale_step"])
    # Float margins asked of a first guess: S is the expensive part for the engine.
    margin = {"*": float(cfg["min_margin"]), "S.max": float(cfg["min_margin_S"])}
    with Runner(1) as runner:
        dcd = DS.Decider(params, runner, int(cfg["max_boxes"]))
        for key, shape in (("scale", OMEGA_SHAPE), ("scale_fixed_weights", FIXED_WEIGHTS_SHAPE)):
            r = DS.search_axis(dcd, centre, shape, DS.Axis("thm1", "scale", 0, step), min_margin=margin,
                               need_bad=False)
            s = r.scale(r.good_k) if r.good_k is not None else F(0)
            res[key] = float(s)
            res[key + "_text"] = dec(s)
            if r.good_k is None and r.bad is not None:
                res[key + "_failed"] = r.bad.failed
        if cfg.get("variance"):
            vstep = F(cfg["variance_step"])
            r2 = DS.search_axis(dcd, centre, OMEGA_PLUS_SHAPE, DS.Axis("thm2", "nu", 0, vstep, False),
                                min_margin=margin, need_bad=False)
            r3 = DS.search_axis(dcd, centre, THM3A_SHAPE, DS.Axis("thm3", "nu", 1, vstep / 4, False),
                                min_margin=margin, need_bad=False)
            res["thm2_nu_lo"] = (float(DS.axis_value(r2.good_shape, r2.axis, centre) / centre.nu)
                                 if r2.good_k is not None else None)
            res["thm3_nu_hi"] = (float(DS.axis_value(r3.good_shape, r3.axis, centre) / centre.nu)
                                 if r3.good_k is not None else None)
        res["decisions"] = dcd.decisions
        res["boxes"] = dcd.boxes
    return res


def comparable(result: dict) -> dict:
    """A result without its timing (what must agree between runs and executors)."""
    return {k: v for k, v in result.items() if k != "seconds"}


# --------------------------------------------------------------------------- the store

def load(path) -> dict:
    """key -> result of every complete line (a torn last line from a crash is ignored)."""
    out = {}
    p = pathlib.Path(path)
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        try:
            rec = json.loads(line)
            out[rec["key"]] = rec["result"]
        except (ValueError, KeyError, TypeError):
            continue
    return out


def append(fh, key: str, result: dict):
    """One complete line per result, flushed and fsynced (what ``load`` reads back)."""
    fh.write(json.dumps({"key": key, "result": result}, sort_keys=True) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


# --------------------------------------------------------------------------- running

@dataclass
class AtlasRun:
    points: list
    config: dict
    results: dict = field(default_factory=dict)  # point -> result
    computed: list = field(default_factory=list)  # points computed in this run, in arrival order
    reused: list = field(default_factory=list)  # points read back from the store
    seconds: float = 0.0
    mode: str = ""
    workers: int = 0
    store: pathlib.Path = None  # the results file

    def ordered(self) -> list:
        return [self.results[p] for p in self.points if p in self.results]

    @property
    def points_per_minute(self) -> float:
        return 60.0 * len(self.computed) / self.seconds if self.seconds > 0 and self.computed else 0.0


def local_cluster(n_workers: int = 2, **kw):
    """A LocalCluster of single-threaded worker processes on the loopback interface."""
    from distributed import LocalCluster  # optional and slow to import (~1 s): only when a cluster is made
    # dashboard_address=None still starts the scheduler's HTTP server on port 8787 (and
    # warns in red when another cluster holds it); ":0" takes any free port, quietly.
    opts = dict(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", silence_logs=40)
    opts.update(kw)
    return LocalCluster(**opts)


def run(points, out_dir, cfg: dict = None, mode: str = "dask", scheduler: str = None, n_workers: int = 2,
        on_result=None, connect_timeout: float = 10.0) -> AtlasRun:
    """Compute the atlas over ``points`` (from :func:`grid`), saving each result as it arrives.

    ``on_result(point, result)`` is called after each saved result (progress; raising
    from it interrupts the run, with everything finished so far kept)."""
    cfg = dict(cfg or DEFAULT_CONFIG)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = out_dir / RESULTS_FILE
    done = load(store)
    run_ = AtlasRun(list(points), cfg, mode=mode, store=store)
    pending = []
    for p in run_.points:
        k = point_key(p, cfg)
        if k in done:
            run_.results[p] = done[k]
            run_.reused.append(p)
        elif p not in pending:
            pending.append(p)
    t0 = time.perf_counter()
    torn = store.exists() and store.stat().st_size > 0 and not store.read_bytes().endswith(b"\n")
    with open(store, "a") as fh:
        if torn:  # a crash in mid-write left a partial line: end it, so the next record starts clean
            fh.write("\n")
        def save(p, r):
            append(fh, point_key(p, cfg), r)
            run_.results[p] = r
            run_.computed.append(p)
            if on_result:
                on_result(p, r)

        if not pending:
            pass
        elif mode == "inprocess":
            run_.workers = 1
            for p in pending:
                save(p, atlas_point(p, cfg))
        elif mode == "dask":
            _run_dask(pending, cfg, save, scheduler, n_workers, connect_timeout, run_)
        else:
            raise AtlasInputError(f"unknown mode {mode!r}")
    run_.seconds = time.perf_counter() - t0
    return run_


def _cost_hint(point, cfg: dict = DEFAULT_CONFIG) -> int:
    """Scheduling priority (no effect on results): the lower S at the fixed point, the larger
    the certified domains and the more boxes the engine needs; unstable or unsolvable
    points are quick.  Costs one Arb solve, about 3 ms (SELU)."""
    try:
        fp = solve_parameters(activation_of(cfg), *point, bits=64)
    except FixedPointError:
        return 0
    if fp.stable is not True:
        return 0
    return int(1000 * (2 - float(fp.spectral_norm.mid())))


async def _identify(address: str, timeout: float) -> dict:
    from distributed.comm import connect  # optional and slow to import: only in Dask mode

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def probe_scheduler(address: str, timeout: float) -> None:
    """Is a Dask scheduler answering at ``address``?  One deadline covers the connection,
    Dask's handshake and one request: a server that accepts and never answers, or that
    answers in another protocol (whose first bytes Dask would read as a frame length of
    exabytes), is refused with AtlasInputError instead of a hang or a MemoryError.  Runs
    in a thread of its own, so it works under a running event loop (Jupyter) too."""
    import asyncio
    import socket
    from concurrent.futures import ThreadPoolExecutor

    # A refused TCP connection is answered at once: Dask's connect would retry it until the
    # deadline and report a timeout, which hides the simpler reason.
    host, sep, port = address.removeprefix("tcp://").rpartition(":")
    if address.startswith("tcp://") and sep and port.isdigit():
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except ConnectionRefusedError as exc:
            raise AtlasInputError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        except OSError:
            pass  # unreachable or slow: the probe below gives the reason within the deadline

    def identify():
        return asyncio.run(asyncio.wait_for(_identify(address, timeout), timeout))
    with ThreadPoolExecutor(1) as ex:
        try:
            reply = ex.submit(identify).result()
        except (asyncio.TimeoutError, TimeoutError):
            raise AtlasInputError(f"the Dask scheduler at {address} did not answer within {timeout:g} s "
                                  f"(--timeout)") from None
        except (OSError, ValueError, TypeError) as exc:
            raise AtlasInputError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        except MemoryError:
            raise AtlasInputError(f"{address} does not answer as a Dask scheduler (it announced an "
                                  f"impossibly large message)") from None
        except Exception as exc:  # noqa: BLE001 - any failure on a foreign server's bytes is bad input
            raise AtlasInputError(f"{address} does not answer as a Dask scheduler "
                                  f"({type(exc).__name__})") from None
    if not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        raise AtlasInputError(f"{address} answers, but not as a Dask scheduler")


def _run_dask(pending, cfg, save, scheduler, n_workers, connect_timeout, run_):
    from distributed import Client, as_completed  # optional and slow to import: only in Dask mode

    with contextlib.ExitStack() as stack:
        if scheduler:
            probe_scheduler(scheduler, connect_timeout)
            try:
                client = stack.enter_context(Client(scheduler, timeout=connect_timeout))
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise AtlasInputError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
        else:
            cluster = stack.enter_context(local_cluster(n_workers))
            client = stack.enter_context(Client(cluster))
        run_.workers = len(client.scheduler_info().get("workers", {}))
        futures = {}
        hints = {p: _cost_hint(p, cfg) for p in pending}
        for p in sorted(pending, key=hints.get, reverse=True):  # likely-slow points first
            f = client.submit(atlas_point, p, cfg, key=f"atlas-{point_key(p, cfg)}", pure=False,
                              priority=hints[p])
            futures[f] = p
        try:
            for fut in as_completed(futures):
                save(futures[fut], fut.result())
        finally:
            client.cancel([f for f in futures if not f.done()])


# --------------------------------------------------------------------------- table and heat maps

def table_markdown(run_: AtlasRun) -> str:
    var = any("thm2_nu_lo" in r for r in run_.results.values())
    ps = labels(run_.config)
    head = ["mu*", "nu*", *ps, "S at fixed point", "stable", "Omega x s", "s at omega*, tau*"]
    if var:
        head += ["thm2 nu_lo/nu*", "thm3 nu_hi/nu*"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in run_.ordered():
        if r.get("status") != "solved":
            row = [r["mu"], r["nu"], "no solution"] + ["—"] * (len(ps) + 3) + (["—", "—"] if var else [])
        else:
            row = [r["mu"], r["nu"], *(f"{r[k]:.10g}" for k in ps), f"{r['S']:.6f}",
                   {True: "yes", False: "no", None: "?"}[r["stable"]],
                   "—" if r.get("scale") is None else r.get("scale_text", f"{r['scale']:g}"),
                   "—" if r.get("scale_fixed_weights") is None else r.get("scale_fixed_weights_text", "")]
            if var:
                row += ["—" if r.get("thm2_nu_lo") is None else f"{r['thm2_nu_lo']:.4g}",
                        "—" if r.get("thm3_nu_hi") is None else f"{r['thm3_nu_hi']:.4g}"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def write_csv(run_: AtlasRun, path):
    ps = labels(run_.config)
    keys = ["mu", "nu", "omega", "tau", "status", *ps, *(k + "_text" for k in ps), "S", "S_lo", "S_hi",
            "rho", "stable", "globally_unique", "scale", "scale_fixed_weights", "thm2_nu_lo", "thm3_nu_hi", "boxes",
            "seconds"]
    fh = io.StringIO(newline="")
    w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
    w.writeheader()
    for r in run_.ordered():
        w.writerow(r)
    write_atomic(path, fh.getvalue())


def heatmaps(run_: AtlasRun, path) -> pathlib.Path:
    import matplotlib  # optional and slow to import: only when plotting
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    mus = sorted({F(p[0]) for p in run_.points})
    nus = sorted({F(p[1]) for p in run_.points})
    qs = [q for q in labels(run_.config) + QUANTITIES if any(r.get(q) is not None for r in run_.results.values())]
    if any(r.get("thm2_nu_lo") is not None for r in run_.results.values()):
        qs += ["thm2_nu_lo", "thm3_nu_hi"]
    tex = {"alpha": r"$\alpha$", "lambda": r"$\lambda$", "lam": r"$\lambda$"}
    titles = {**{k: tex.get(k, k) for k in labels(run_.config)},
              "S": r"$S$ (spectral norm) at the fixed point; $S < 1$: stable",
              "scale": r"Thm 1 domain size: $\Omega \times s$ (certified)",
              "scale_fixed_weights": r"Thm 1 domain size, $\omega = \omega^*$, $\tau = \tau^*$",
              "thm2_nu_lo": r"Thm 2: $\nu_{lo} / \nu^*$",
              "thm3_nu_hi": r"Thm 3: $\nu_{hi} / \nu^*$"}
    ncol = min(3, len(qs))
    nrow = math.ceil(len(qs) / ncol)
    fig, axs = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 4.2 * nrow), squeeze=False)
    for ax, q in zip(axs.flat, qs):
        Z = np.full((len(nus), len(mus)), np.nan)
        for p in run_.points:
            r = run_.results.get(p)
            if r is not None and r.get(q) is not None:
                Z[nus.index(F(p[1])), mus.index(F(p[0]))] = float(r[q])
        norm, cmap = None, "viridis"
        finite = Z[np.isfinite(Z)]
        if q == "S" and finite.size:
            # diverging about the stability threshold S = 1: blue stable, red unstable
            span = max(float(np.max(np.abs(finite - 1.0))), 1e-6)
            norm, cmap = TwoSlopeNorm(vcenter=1.0, vmin=1.0 - span, vmax=1.0 + span), "RdBu_r"
        im = ax.imshow(Z, origin="lower", aspect="auto", cmap=cmap, norm=norm, extent=_extent(mus, nus))
        fig.colorbar(im, ax=ax)
        for i, n in enumerate(nus):
            for j, m in enumerate(mus):
                if not math.isnan(Z[i, j]):
                    rgba = im.cmap(im.norm(Z[i, j]))
                    light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                    ax.text(float(m), float(n), f"{Z[i, j]:.3g}", ha="center", va="center",
                            fontsize=8 if len(mus) * len(nus) <= 30 else 6, color="k" if light else "w")
        ax.set_xlabel(r"$\mu^*$")
        ax.set_ylabel(r"$\nu^*$")
        ax.set_title(titles[q], fontsize=9)
    for ax in list(axs.flat)[len(qs):]:
        ax.axis("off")
    any_r = next(iter(run_.results.values()), {})
    name = "SELU" if activation_of(run_.config) == DEFAULT_ACTIVATION else activation_of(run_.config)
    fig.suptitle(rf"{name} atlas ($\omega$ = {any_r.get('omega', '?')}, $\tau$ = {any_r.get('tau', '?')})",
                 fontsize=10)
    fig.tight_layout()
    path = pathlib.Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _extent(mus, nus):
    def ext(v):
        if len(v) == 1:
            return float(v[0]) - 0.5, float(v[0]) + 0.5
        h = float(v[1] - v[0]) / 2
        return float(v[0]) - h, float(v[-1]) + h
    (a, b), (c, d) = ext(mus), ext(nus)
    return (a, b, c, d)
