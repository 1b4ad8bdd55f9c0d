"""Build the documentation site: regenerate the claims catalogue, then ``mkdocs build --strict``.

    python docs/build.py [--site-dir DIR] [--report FILE | --no-report] [--config mkdocs.yml]
                         [--notebooks [NAMES]] [--domain] [--full] [--workers N]

1. ``python -m verification.catalogue`` writes ``<docs_dir>/catalogue.md`` (git-ignored)
   from the claims registry and, when it exists, the last report
   (default: ``results/report.json`` next to mkdocs.yml);
2. ``docs/figures.py`` draws the figures into ``<docs_dir>/figures/`` (git-ignored) when
   one is missing, or always with ``--redraw``; ``--domain`` also draws the
   certified-domain plot (a domain search: about a minute, so only on request; once
   drawn it stays until ``--redraw``);
3. ``--notebooks`` runs the notebooks (all, or the comma-separated NAMES) in their quick
   mode and keeps the executed copies in ``build/notebooks/`` (minutes, so only on
   request); the mkdocs hook renders every notebook as a page, with the outputs of its
   executed copy while that matches the source, else without outputs;
4. ``mkdocs build --strict`` builds the site (default: the config's ``site_dir``,
   build/site/), failing on any warning: a broken link, a missing anchor, a nav entry
   without its page.

``--full`` is ``--notebooks --domain``: the site as published. The default build (what the
test suite runs) takes seconds.

Exit code: 0 when the site was built, else non-zero (mkdocs' own code, or 2 for bad input).
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _docs_dir(config: pathlib.Path) -> pathlib.Path:
    import yaml

    class _Loader(yaml.SafeLoader):  # mkdocs configs may carry tags such as !ENV
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    data = yaml.load(config.read_text(), Loader=_Loader) or {}
    return config.parent / str(data.get("docs_dir") or "docs")


def build(config=ROOT / "mkdocs.yml", site_dir=None, report=None, use_report: bool = True,
          quiet: bool = False, redraw: bool = False, notebooks=None, domain: bool = False,
          workers: int = 1) -> int:
    """Regenerate the catalogue and build the site; returns the exit code.

    ``notebooks``: None (do not run them), True (run all) or a list of names to run;
    ``domain``: draw the certified-domain plot too."""
    from verification import catalogue

    config = pathlib.Path(config).resolve()
    if not config.is_file():
        print(f"build: no config {config}", file=sys.stderr)
        return 2
    if notebooks and notebooks is not True:  # bad names: say so before minutes of work
        have = {p.stem for p in (config.parent / "notebooks").glob("*.ipynb")}
        unknown = sorted({pathlib.Path(n).stem for n in notebooks} - have)
        if unknown:
            print(f"build: no such notebook in notebooks/: {', '.join(unknown)} "
                  f"(known: {', '.join(sorted(have)) or 'none'})", file=sys.stderr)
            return 2
    args = ["--out", str(_docs_dir(config) / "catalogue.md")]
    if not use_report:
        args.append("--no-report")
    else:
        path = pathlib.Path(report) if report else config.parent / catalogue.DEFAULT_REPORT
        if report or path.is_file():
            args += ["--report", str(path)]
        else:
            args.append("--no-report")
    code = catalogue.main(args)
    if code:
        return code
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import figures  # docs/figures.py, beside this script

    fig_dir = _docs_dir(config) / "figures"
    if redraw or not all((fig_dir / name).exists() for name in figures.FIGURES):
        figures.draw(fig_dir)
        if redraw and not domain:
            (fig_dir / figures.DOMAIN).unlink(missing_ok=True)  # drawn by older code: stale
    if domain:
        from verification import api
        figures.domain(api, fig_dir / figures.DOMAIN, workers=workers)
    failed = 0
    if notebooks:
        import nbpages  # docs/nbpages.py
        try:
            failed = nbpages.execute(config.parent / "notebooks", config.parent / "build" / "notebooks",
                                     None if notebooks is True else notebooks, root=ROOT,
                                     log=lambda line: print(line, file=sys.stderr))
        except ValueError as exc:
            print(f"build: {exc}", file=sys.stderr)
            return 2
        if failed:
            print(f"build: {failed} notebook(s) failed; their pages are shown without outputs", file=sys.stderr)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(config)]
    if site_dir is not None:
        cmd += ["-d", str(pathlib.Path(site_dir).resolve())]
    if not quiet:
        return subprocess.run(cmd, cwd=config.parent).returncode or (1 if failed else 0)
    # Not mkdocs' own --quiet: it hides the warnings from the strict-mode count, and a
    # broken link would then pass. Keep the warnings and errors, drop the INFO lines.
    proc = subprocess.run(cmd, cwd=config.parent, capture_output=True, text=True)
    lines = (proc.stderr + proc.stdout).splitlines()
    sys.stderr.write("".join(line + "\n" for line in lines if line.strip() and not line.startswith("INFO")))
    return proc.returncode or (1 if failed else 0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python docs/build.py", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "mkdocs.yml"), help="mkdocs config (default: mkdocs.yml)")
    ap.add_argument("--site-dir", help="where to write the site (default: the config's site_dir)")
    ap.add_argument("--report", help="report JSON for the catalogue (default: results/report.json if present)")
    ap.add_argument("--no-report", action="store_true", help="catalogue without certified values")
    ap.add_argument("--quiet", action="store_true", help="print only the warnings and errors of mkdocs")
    ap.add_argument("--redraw", action="store_true", help="draw the figures again even if they exist")
    ap.add_argument("--notebooks", nargs="?", const="all", metavar="NAMES",
                    help="run the notebooks (all, or these comma-separated names) and show their outputs")
    ap.add_argument("--domain", action="store_true", help="draw the certified-domain plot (about a minute)")
    ap.add_argument("--full", action="store_true", help="the published site: --notebooks --domain")
    ap.add_argument("--workers", type=int, default=1, help="worker processes for --domain (default 1)")
    a = ap.parse_args(argv)
    if a.workers < 1:
        ap.error("--workers must be at least 1")
    nbs = a.notebooks or ("all" if a.full else None)
    nbs = True if nbs == "all" else [n.strip() for n in nbs.split(",") if n.strip()] if nbs else None
    return build(a.config, a.site_dir, a.report, not a.no_report, a.quiet, a.redraw, nbs,
                 a.domain or a.full, a.workers)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing: verification/ importable
    sys.exit(main())
