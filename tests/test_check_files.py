"""`selu-verify check` takes folders, and its API twin `api.check` renders itself; bad
files are reported, never raised, and never hide the verdicts on the others."""
from __future__ import annotations

import json

from verification import api


def _prove_small(cli, tmp_path):
    code, out, err = cli("bound", "nu_tilde - nu", "--max", "--domain", "nu=0.8:0.9,tau=1:1,mu=0:0,omega=0:0",
                         "--workers", "1", "--out", str(tmp_path))
    assert err == "", err
    (path,) = (tmp_path / "certificates").glob("*.json")
    return path


def test_check_takes_a_folder_and_api_check_agrees(cli, tmp_path):
    path = _prove_small(cli, tmp_path)
    code, out, err = cli("check", str(path.parent), "--workers", "1")
    assert code == 0 and err == "" and "1/1 certificate accepted" in out, (out, err)
    res = api.check(path.parent)
    assert res.ok and res.accepted == 1 and res.files[0].path == str(path)
    assert "1/1 certificate accepted" in repr(res) and "<table" in res._repr_html_()
    assert json.dumps(res.to_dict())


def test_bad_files_are_listed_not_raised(cli, tmp_path):
    path = _prove_small(cli, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    forged = tmp_path / "forged.json"
    obj = json.loads(path.read_text())
    obj["claim"] = obj["claim"] + "x"      # the seal no longer matches
    forged.write_text(json.dumps(obj))
    res = api.check(path, empty, junk, forged)
    assert not res.ok and res.accepted == 1
    kinds = [("unreadable" if r.result is None else ("ok" if r.result.ok else "rejected")) for r in res.files]
    assert kinds[0] == "ok" and kinds[1] == "unreadable" and kinds[2] == "unreadable"
    assert kinds[3] in ("unreadable", "rejected")
    assert "folder with no certificate" in res.files[1].error
    code, out, err = cli("check", str(path), str(empty), str(junk), "--workers", "1")
    assert code == 2 and "1/3 certificates accepted" in out and "2 unreadable" in out
    assert err.count("selu-verify: error:") == 2 and "Traceback" not in err
