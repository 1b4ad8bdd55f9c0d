"""The site's figures, drawn when the docs are built (never committed): ``python
docs/figures.py OUT_DIR``, run by docs/build.py and by the mkdocs hook when missing.

Each figure is cheap (seconds): float curves for illustration, with the certified
numbers drawn on them where a proof is quick enough to run at build time.

    s_landscape.png   S over (nu, tau) on Omega, slices at three (mu, omega)
    figure_a7.png     Figure A7: mu~^2(0.1, -0.1, x, 1) with the certified peak
    leaves.png        the leaf boxes of a proof (max of mu~ on Omega, in (m, v))
    atlas.png         the atlas of alpha, lambda, S over fixed points (mu*, nu*)
    domain.png        the largest certified domains (only on request: ``python
                      docs/build.py --domain``; a search of about a minute)
"""
from __future__ import annotations

import pathlib
import sys
import tempfile

FIGURES = ("s_landscape.png", "figure_a7.png", "leaves.png", "atlas.png")
DOMAIN = "domain.png"  # not in FIGURES: too slow for every build
DOMAIN_RESOLUTION = 4  # grid steps 4x the command's default: the picture, at a quarter of the cost


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def s_landscape(api, path):
    import numpy as np
    plt = _plt()
    nu, tau = np.meshgrid(np.linspace(0.8, 1.5, 120), np.linspace(0.95, 1.1, 90))
    slices = ((0.1, 0.1, r"$\mu = \omega = 0.1$"), (0.0, 0.0, r"$\mu = \omega = 0$"),
              (0.1, -0.1, r"$\mu = 0.1,\ \omega = -0.1$"))
    vals = [api.floats("S", m, o, nu, tau) for m, o, _ in slices]
    levels = np.linspace(min(v.min() for v in vals), max(v.max() for v in vals), 21)
    fig, axs = plt.subplots(1, 3, figsize=(14, 4), sharey=True, constrained_layout=True)
    for ax, (m, o, title), z in zip(axs, slices, vals):
        cs = ax.contourf(nu, tau, z, levels=levels, cmap="viridis")
        ax.contour(nu, tau, z, levels=levels[::4], colors="k", linewidths=0.4)
        k = np.unravel_index(np.argmax(z), z.shape)
        ax.plot(nu[k], tau[k], "r*", ms=14, clip_on=False, zorder=5, label=f"largest on this slice: {z[k]:.5f}")
        ax.set_title(title)
        ax.set_xlabel(r"$\nu$")
        ax.legend(loc="lower left", fontsize=8)
    axs[0].set_ylabel(r"$\tau$")
    fig.colorbar(cs, ax=axs, label=r"$S$")
    fig.suptitle(r"$S$ on $\Omega$ (floats, for illustration; Theorem 1 proves $\max S < 1$ with Arb balls)")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def figure_a7(api, path):
    import numpy as np
    plt = _plt()
    x = np.geomspace(0.01, 1, 400)
    h = api.floats("mu_tilde**2", 0.1, -0.1, x, 1)
    peak = "0.187342"
    # h'(x) = 2 mu~ dmu~/dnu: certified below zero after the peak (a quick proof)
    after = api.bound("2*mu_tilde*dmu_dnu", "mu=0.1,omega=-0.1,nu=0.187343:1,tau=1", "max", threshold=0)
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    ax.plot(x, h, lw=2, label=r"$h(x) = \tilde\mu^2(0.1, -0.1, x, 1)$")
    ax.axvline(float(peak), color="tab:red", ls="--", lw=1, label=rf"peak at $x = {peak}$ (Lemma 43)")
    ax.axhline(0.005, color="k", ls=":", lw=1, label=r"Lemma 43's bound $0.005$")
    ax.set_xscale("log")
    ax.set_xlabel(r"$x = \nu\tau$")
    ax.set_ylabel(r"$\tilde\mu^2$")
    ax.set_title(rf"Figure A7; $h' < 0$ after the peak: {after.status} (certified)")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def leaves(api, path):
    from matplotlib.patches import Rectangle
    plt = _plt()
    proof = api.prove("thm1-mean-image")
    key = "mu_tilde.max"
    boxes = proof.leaves(key)
    colours = {"enclosure": "tab:blue", "mvf": "tab:orange"}
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    for b, reason, _ in boxes:
        (x0, x1), (y0, y1) = b[0], b[2]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=colours.get(reason, "grey"),
                               edgecolor="k", lw=0.3, alpha=0.55))
    for reason, c in colours.items():
        n = sum(1 for _, r, _u in boxes if r == reason)
        ax.add_patch(Rectangle((0, 0), 0, 0, facecolor=c, alpha=0.55, label=f"decided by {reason} ({n} boxes)"))
    w = proof.witness(key)
    ax.plot(w[0] * w[1], w[2] * w[3], "r*", ms=16, clip_on=False, zorder=5, label="certified maximiser")
    ax.autoscale_view()
    ax.set_xlabel(r"$m = \mu\omega$")
    ax.set_ylabel(r"$v = \nu\tau$")
    lo, hi = proof.enclosures[key]
    ax.set_title(rf"the proof of $\max \tilde\mu$ on $\Omega$: {len(boxes)} leaf boxes; "
                 rf"$\max\tilde\mu \in$ {api.interval(lo, hi, 8)}", fontsize=9)
    ax.legend(fontsize=8, loc="lower left", framealpha=0.9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def atlas(api, path):
    with tempfile.TemporaryDirectory() as tmp:
        api.atlas("-0.2:0.2:5", "0.5:2:4", out=tmp).heatmaps(path)


def domain(api, path, workers: int = 1, resolution: float = DOMAIN_RESOLUTION):
    """The certified-domain plot of ``selu-verify domain`` (alpha01, lambda01 around (0, 1)):
    every domain it shows is certified and replayed by the checker while drawing."""
    with tempfile.TemporaryDirectory() as tmp:
        api.domain(resolution=resolution, workers=workers, out=tmp).plot(path)
    return path


def draw(out_dir) -> list:
    """Draw every figure into ``out_dir``; returns the paths written."""
    from verification import api
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for name, fn in zip(FIGURES, (s_landscape, figure_a7, leaves, atlas)):
        fn(api, out / name)
        done.append(out / name)
    return done


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    for p in draw(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "figures"):
        print(p)
