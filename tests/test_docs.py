"""The docs: the strict mkdocs build (broken links and anchors fail it), the generated
catalogue (every claim, every expression name), and the worked certificate example.

Every build runs on a copy of mkdocs.yml and docs/ in a temporary folder, so the test
never writes into the working tree.
"""
import importlib.util
import json
import pathlib
import re
import shutil

import pytest

from verification import catalogue
from verification import claims as C
from verification.cli import main as cli_main

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_build_script():
    spec = importlib.util.spec_from_file_location("selu_docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs_build = _load_build_script()


def _need_mkdocs():
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail("mkdocs is not installed: install the test extras, pip install -e '.[test]'")


def _copy_docs(dst: pathlib.Path) -> pathlib.Path:
    shutil.copy(ROOT / "mkdocs.yml", dst / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", dst / "docs",
                    ignore=shutil.ignore_patterns("catalogue.md", "__pycache__", "_build"))
    return dst / "mkdocs.yml"


def _known_names():
    from selu_theory.expr import known_names
    return known_names()


def test_every_expression_name_is_documented():
    missing = [n for n in _known_names() if catalogue.describe(n) is None]
    assert not missing, (f"names of the expression language without a meaning in "
                         f"the quantity table selu_theory/quantities.py: {missing}")


def test_catalogue_without_report_lists_claims_and_names():
    text = catalogue.render(None)
    for cid in C.REGISTRY:
        assert f"{{#{cid}}}" in text, cid
    for n in _known_names():
        assert f"`{n}`" in text, n
    assert "undocumented" not in text


def test_catalogue_bad_report_is_an_error(tmp_path, capsys):
    bad = tmp_path / "report.json"
    bad.write_text("not json")
    assert catalogue.main(["--report", str(bad), "--out", str(tmp_path / "c.md")]) == 2
    assert catalogue.main(["--report", str(tmp_path / "missing.json"), "--out", str(tmp_path / "c.md")]) == 2


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One strict build with a real (small) report: two cheap claims certified."""
    _need_mkdocs()
    tmp = tmp_path_factory.mktemp("docs")
    config = _copy_docs(tmp)
    cheap = ["jacobian-at-fixed-point", "alpha-lambda-01"]
    assert cli_main(["claim", *cheap, "--out", str(tmp / "results"), "--workers", "1", "--quiet"]) == 0
    site = tmp / "site"
    code = docs_build.build(config, site, tmp / "results" / "report.json", quiet=True)
    assert code == 0, "mkdocs build --strict failed: see the warnings above"
    return tmp, site, cheap


def test_site_has_every_page(built):
    _, site, _ = built
    for page in ("index", "method", "certificates", "bound", "catalogue"):
        assert (site / f"{page}.html").is_file(), page


def test_built_catalogue_lists_every_claim_and_name(built):
    tmp, site, cheap = built
    md = (tmp / "docs" / "catalogue.md").read_text()
    html = (site / "catalogue.html").read_text()
    for cid in C.REGISTRY:
        assert f'id="{cid}"' in html, f"claim {cid} has no section in the catalogue"
    for n in _known_names():
        assert f"<code>{n}</code>" in html, f"expression name {n} missing from the catalogue"
    assert 'id="expression-names"' in html
    # The report's values are shown beside the claims it covers, and only those.
    report = json.loads((tmp / "results" / "report.json").read_text())
    assert {c["id"] for c in report["claims"]} == set(cheap)
    assert "0.7876733604657" in md  # S at the fixed point, certified
    assert "not run" in md or len(C.REGISTRY) == len(cheap)


def test_strict_build_fails_on_a_broken_link(tmp_path):
    _need_mkdocs()
    config = _copy_docs(tmp_path)
    page = tmp_path / "docs" / "bound.md"
    page.write_text(page.read_text() + "\n[broken](method.md#no-such-anchor) [gone](no-such-page.md)\n")
    assert docs_build.build(config, tmp_path / "site", use_report=False, quiet=True) != 0


def _blocks(text, lang):
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_worked_certificate_example_is_current(tmp_path):
    """docs/certificates.md quotes a real certificate; re-run it and compare."""
    doc = (ROOT / "docs" / "certificates.md").read_text()
    cmd = re.search(r"\$ selu-verify bound (mu_tilde --max --domain \"([^\"]+)\" --tol (\S+))", doc)
    assert cmd, "worked example command not found in docs/certificates.md"
    out = tmp_path / "out"
    assert cli_main(["bound", "mu_tilde", "--max", "--domain", cmd.group(2), "--tol", cmd.group(3),
                     "--out", str(out), "--workers", "1", "--quiet"]) == 0
    (path,) = (out / "certificates").glob("bound-*.json")
    part = json.loads(path.read_text())["parts"][0]
    hint = "the engine's output changed: re-run the worked example and update docs/certificates.md"
    quoted = json.loads(_blocks(doc, "json")[0])
    for key, value in quoted.items():
        assert part.get(key) == value, f"{key}: {hint}"
    nodes = [json.loads(line) for block in _blocks(doc, "text") for line in block.splitlines() if line.strip()]
    assert nodes
    for node in nodes:
        assert node in part["tree"], f"{node}: {hint}"
    assert f"The tree has {len(part['tree'])} nodes" in doc, hint
