"""What selu-verify prints and writes: 80 columns, one row per claim, the tally line,
[lo, hi] intervals, report.md that a Markdown parser reads with its tables intact,
`claim ID` merging into the report, help texts and examples, user-language expression
errors.  Only quick claims are run (never the whole `all`)."""
import argparse
import json
import re
import shlex

import markdown
import pytest
from markdown_it import MarkdownIt
from rich.cells import cell_len

from selu_theory.expr import ExprError, parse
from verification import claims as C
from verification import report
from verification.cli import build_parser
from verification.cli import claims as claims_cli
from verification.cli.examples import EXAMPLES

QUICK = ("jacobian-at-fixed-point", "alpha-lambda-01")  # no boxes: proved in well under a second
TALLY = re.compile(r"^(\d+)/(\d+) proved · (\d+) confirmed · (\d+) valid but loose · (\d+) not confirmed · "
                   r"(\d+) undecided$")


@pytest.fixture
def narrow(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _widest(lines) -> int:
    """Terminal columns of the widest line (µ̃ is two code points in one column)."""
    return max(cell_len(line) for line in lines)


def _lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_all_at_80_columns_is_one_row_per_claim_and_a_tally(cli, narrow, tmp_path, monkeypatch):
    monkeypatch.setattr(C, "CLAIMS", tuple(C.get(i) for i in QUICK))
    monkeypatch.chdir(tmp_path)  # short paths in the report line
    code, out, err = cli("all", "--workers", "1")
    assert code == 0, err
    lines = _lines(out)
    assert _widest(lines) <= 80, out
    for cid in QUICK:
        rows = [line for line in lines if line.startswith(cid)]
        assert len(rows) == 1 and "proved" in rows[0], out
        assert re.search(r"\[\d\.\d+, \d\.\d+\]", rows[0]), rows[0]  # the headline value as [lo, hi]
    assert "±" not in out
    (tally,) = [line for line in lines if TALLY.match(line)]
    m = TALLY.match(tally)
    assert m.group(1) == m.group(2) == str(len(QUICK))
    assert int(m.group(3)) == 5 and m.group(5) == "0"  # alpha01, lambda01 (x2 each) and S: confirmed
    assert any("statement" in line and "paper" in line for line in lines)  # why proved / not confirmed coexist
    assert len(lines) <= len(QUICK) + 8


def test_verbose_adds_the_per_number_table_with_qualifiers(cli, narrow, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("claim", "lemma43-mean-squared-bound", "-v", "--workers", "1")
    assert code == 0
    assert _widest(out.splitlines()) <= 80, out
    assert "[reading]" in out and "mu_tilde^2.max[nu>=0.02]" in out  # kept, like report.md
    assert "≈ 0.00451457" in out and "≤ 0.005" in out
    assert "±" not in out


def test_claim_merges_into_the_report_and_docs_have_no_machine_path(cli, tmp_path):
    out = tmp_path / "results"
    assert cli("claim", QUICK[0], "--out", str(out), "--workers", "1", "--quiet")[0] == 0
    assert cli("claim", QUICK[1], "--out", str(out), "--workers", "1", "--quiet")[0] == 0
    data = json.loads((out / "report.json").read_text())
    assert [c["id"] for c in data["claims"]] == [i for i in C.REGISTRY if i in QUICK]  # registry order
    md = (out / "report.md").read_text()
    assert all(f"`{i}`" in md for i in QUICK)
    assert str(tmp_path) not in md
    assert "certificates/jacobian-at-fixed-point.json" in md


def test_quiet_keeps_the_result_line(cli, tmp_path):
    code, out, _ = cli("claim", QUICK[0], "--out", str(tmp_path), "--workers", "1", "--quiet")
    assert code == 0
    (line,) = _lines(out)
    assert line.startswith("1/1 proved · ")


def test_check_ends_with_a_total_line(cli, tmp_path):
    cli("claim", QUICK[0], "--out", str(tmp_path), "--workers", "1", "--quiet")
    cert = tmp_path / "certificates" / f"{QUICK[0]}.json"
    code, out, _ = cli("check", str(cert), "--workers", "1")
    assert code == 0 and _lines(out)[-1] == "1/1 certificate accepted"
    code, out, _ = cli("check", str(cert), "--workers", "1", "--quiet")
    assert code == 0 and _lines(out) == ["1/1 certificate accepted"]
    code, out, _ = cli("check", str(cert), "--workers", "1", "-v")
    assert code == 0 and "ACCEPTED" in out


# ---------------------------------------------------------------- report.md as Markdown


def _fake_report():
    """A report JSON with the cells that broke tables: |q| keys, [qualifiers], < and >."""
    row = {"quantity": "|mu_tilde|.max", "key": "|mu_tilde|.max", "certified": "[0.2185, 0.2186]",
           "paper": "0.289324 (upper bound)", "verdict": "valid but loose"}
    row2 = {"quantity": "mu_tilde^2.max[nu>=0.02]", "key": "mu_tilde^2.max[nu>=0.02] [reading]",
            "certified": "[0.0045, 0.0046]", "paper": "", "verdict": ""}
    return {"claims": [{
        "id": "lemma41-mean-low-variance", "statement": "|mu~| < 0.289324 for nu*tau in [0.02, 0.5]",
        "reference": "Lemma 41", "status": "proved", "rows": [row, row2],
        "paper": [{"label": "|mu~| bound", "value": "0.289324", "kind": "upper", "quantity": "|mu_tilde|.max",
                   "verdict": "valid but loose", "detail": "holds; |q| is 0.07 inside it",
                   "certified": "[0.2185, 0.2186]"}],
        "counterexample": {"key": "x", "point": ["1/10", "-1/10", "3/16", "1"], "value_text": "[1, 2]"},
        "boxes": 10, "seconds": 1.0, "certificate": "/abs/machine/path/x.json",
        "certificate_rel": "certificates/x.json", "checked": True}]}


def _tables(html_tokens):
    """[(rows, cells per row)] of every table markdown-it found."""
    out, rows, cells = [], [], 0
    for t in html_tokens:
        if t.type == "tr_open":
            cells = 0
        elif t.type in ("td_open", "th_open"):
            cells += 1
        elif t.type == "tr_close":
            rows.append(cells)
        elif t.type == "table_close":
            out.append(rows)
            rows = []
    return out


def test_report_md_tables_survive_a_markdown_parser():
    md = report.markdown_from_json(_fake_report())
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    (table,) = _tables(tokens)
    assert table == [8, 8, 8]  # header and two rows, eight cells each: no | split a cell
    html = markdown.markdown(md, extensions=["tables"])  # the docs site's parser
    assert html.count("<tr>") == 3 and "|mu_tilde|.max" in html and "[reading]" in html
    assert "/abs/machine" not in md and "certificates/x.json" in md
    assert "(0.1, -0.1, 0.1875, 1)" in md  # counterexample points as decimals


def test_report_md_of_a_real_claim_parses(tmp_path):
    from tests.conftest import proved
    res, _ = proved("jacobian-at-fixed-point")
    md = report.markdown([res])
    (table,) = _tables(MarkdownIt("commonmark").enable("table").parse(md))
    assert table == [8] * (1 + len(report.claim_rows(res)))
    assert "±" not in md


# ---------------------------------------------------------------- numbers


def test_intervals_are_outward_rounded_brackets():
    from fractions import Fraction
    lo, hi = Fraction(27, 100) + Fraction(1, 10**9), Fraction(228, 100) - Fraction(1, 10**9)
    text = report.fmt_short(lo, hi, 22)
    a, b = (Fraction(x) for x in text.strip("[]").split(", "))
    assert a <= lo and hi <= b and len(text) <= 22


def test_counterexample_points_print_as_decimals():
    assert report.fmt_point(["1/3", "0", "-7/2", "1"], 6) == "(0.333333, 0, -3.5, 1)"


# ---------------------------------------------------------------- help


def _subparsers():
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def test_every_option_has_help_and_every_command_ends_with_examples():
    for name, sp in _subparsers().items():
        missing = [a.dest for a in sp._actions if not a.help]
        assert not missing, (name, missing)
        tail = sp.format_help().rstrip().split("examples:")[-1].strip().splitlines()
        assert 2 <= len(tail) <= 3 and all(line.strip().startswith("selu-verify ") for line in tail), name
        assert all(len(line) <= 80 for line in tail), name


def test_examples_parse():
    parser = build_parser()
    for exs in list(EXAMPLES.values()) + list(claims_cli.EXAMPLES.values()):
        for e in exs:
            argv = shlex.split(e.split("#")[0])[1:]
            parser.parse_args([a.replace("*", "x") for a in argv])


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("selu-verify ")


def test_names_lists_the_vocabulary_with_meanings(cli, narrow):
    code, out, _ = cli("names")
    assert code == 0
    assert "mu_tilde" in out and "E[selu(z)]" in out  # the meaning, brackets intact
    assert _widest(out.splitlines()) <= 80


# ---------------------------------------------------------------- expression errors


@pytest.mark.parametrize("text, words", [
    ("S^2", "use ** for powers"),
    ("log(S)", "unknown function 'log'; known: sqrt, exp"),
    ("S < 1", "--below"),
    ("mu_tild", "did you mean 'mu_tilde'"),
    ("S**0.5", "sqrt"),
    ("S.real", "not part of an expression"),
    ("{S}", "not allowed in an expression: '{S}'"),
])
def test_expression_errors_speak_the_users_language(text, words):
    with pytest.raises(ExprError) as exc:
        parse(text)
    msg = str(exc.value)
    assert words in msg
    assert not re.search(r"\b(BitXor|Compare|Attribute|Call|Set|BinOp|Name)\b", msg)


def test_cli_error_has_one_prefix(cli):
    code, out, err = cli("bound", "S^2", "--max")
    assert code == 2 and err.strip() == "selu-verify: error: use ** for powers (^ is not a power)"
    code, out, err = cli("check", "--workers", "0", "x.json")
    assert code == 2 and err.count("selu-verify") == 1 and len(err.strip().splitlines()) == 1


def test_widest_rows_fit_80_columns_without_ellipsis():
    """The registry's longest id, most verdicts, most boxes and seconds, a tiny negative
    value: every column keeps its text, only the certified value loses digits (outward)."""
    from types import SimpleNamespace as NS

    from rich.console import Console

    from verification.verdicts import CONFIRMED, LOOSE, NOT_CONFIRMED

    def result(cid, verdicts, lo, hi, boxes, seconds, cex=None):
        claim = C.get(cid)
        key = claim.parts[0].key
        vs = [NS(key=key, verdict=v, kind="approx", paper="0.1") for v in verdicts]
        return NS(claim=claim, status="proved", verdicts=vs, enclosures={key: (lo, hi)},
                  parts=[NS(key=p.key) for p in claim.parts], boxes=boxes, seconds=seconds, counterexample=cex)

    longest = max(C.REGISTRY, key=len)
    cex = {"key": "dmu_dnu[nu>=0.02].min", "point": ["-1/10", "-1/10", "1/50", "5/4"], "required": False}
    results = [result(longest, [CONFIRMED] * 7 + [LOOSE] * 3 + [NOT_CONFIRMED] * 3, -0.000228, -0.000227, 10993,
                      161.9, cex),
               result(QUICK[0], [CONFIRMED] * 14 + [NOT_CONFIRMED] * 4, 0.0333394, 0.247879, 6852, 83.8)]
    con = Console(width=80, record=True, file=open("/dev/null", "w"))
    claims_cli.print_results(con, results, {})
    lines = _lines(con.export_text())
    assert _widest(lines) <= 80, "\n".join(lines)
    assert not any("…" in line for line in lines), "\n".join(lines)
    row = next(line for line in lines if line.startswith(longest))
    a, b = (float(x) for x in re.search(r"\[(\S+), (\S+)\]", row).groups())
    assert a <= -0.000228 and -0.000227 <= b  # outward
    assert any(TALLY.match(line) or line.startswith("2/2 proved") for line in lines)
