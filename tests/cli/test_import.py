"""``lim import`` as a real process against ``lim serve``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.cli.conftest import Served


def _users(served: Served, *user_ids: str) -> dict[str, dict]:
    result = served.run("user", "get", *user_ids, "--json")
    return {user["userId"]: user for user in json.loads(result.stdout or "[]")}


def test_a_clean_csv_imports_every_row_and_exits_0(served: Served, tmp_path: Path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,nickname,gender\nc1,One,1\nc2,Two,2\n")

    result = served.run("import", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 users from users.csv, rejected 0")
    assert _users(served, "c1", "c2")["c2"]["gender"] == 2
    assert not (tmp_path / "users.csv.rejects.csv").exists()


def test_bad_rows_are_reported_by_line_and_written_to_rejects(
    served: Served, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "user_id,nickname,gender\n"
        "m1,Good,0\n"
        "bad id,Spaces,0\n"
        "m2,Good,9\n"
        "m3,Too,many,cells\n"
        "m4,Good,1\n"
    )

    result = served.run("import", str(path), "--batch", "2", "--json")
    summary = json.loads(result.stdout)
    with open(tmp_path / "mixed.csv.rejects.csv", newline="") as handle:
        rejects = list(csv.reader(handle))

    assert result.returncode == 1
    assert (summary["imported"], summary["rejected"], summary["read"]) == (2, 3, 5)
    assert [line.split(":")[1] for line in result.stderr.splitlines()] == [
        "3",
        "4",
        "5",
    ]
    assert rejects[0] == ["line", "code", "reason", "user_id", "nickname", "gender"]
    assert [row[0] for row in rejects[1:]] == ["3", "4", "5"]
    assert rejects[1][3:] == ["bad id", "Spaces", "0"]
    assert "gender" in rejects[2][2]
    assert set(_users(served, "m1", "m2", "m4")) == {"m1", "m4"}


def test_reimporting_updates_instead_of_duplicating(served: Served, tmp_path: Path):
    path = tmp_path / "again.csv"
    path.write_text("user_id,nickname\nr1,Before\n")
    served.run("import", str(path))
    path.write_text("user_id,nickname\nr1,After\n")

    result = served.run("import", str(path), "--json")
    listed = served.run("user", "list", "--after", "r0", "--limit", "5", "--json")

    assert json.loads(result.stdout)["imported"] == 1
    assert _users(served, "r1")["r1"]["nickname"] == "After"
    assert [u["userId"] for u in json.loads(listed.stdout)].count("r1") == 1


def test_csv_with_bom_quoting_and_utf8_names(served: Served, tmp_path: Path):
    path = tmp_path / "intl.csv"
    text = (
        "userId,nickname,signature\r\n"
        'u-zoë,"Zoë ""Z"" Ünal","line one\r\nline two, with comma"\r\n'
        "u-李,李小龙,\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    result = served.run("import", str(path))
    users = _users(served, "u-zoë", "u-李")

    assert result.returncode == 0, result.stderr
    assert users["u-zoë"]["nickname"] == 'Zoë "Z" Ünal'
    assert users["u-zoë"]["signature"] == "line one\r\nline two, with comma"
    assert users["u-李"]["nickname"] == "李小龙"


def test_json_arrays_and_json_lines_import_with_rejects(served: Served, tmp_path):
    array = tmp_path / "users.json"
    array.write_text(
        json.dumps([{"userId": "j1"}, {"userId": "j2", "gender": "x"}], indent=1)
    )
    lines = tmp_path / "users.jsonl"
    lines.write_text('{"userId": "l1"}\n{broken\n{"userId": "l2"}\n')

    from_array = served.run("import", str(array), "--json")
    from_lines = served.run("import", str(lines), "--json")
    rejected = [
        json.loads(line)
        for line in (tmp_path / "users.jsonl.rejects.jsonl").read_text().splitlines()
    ]

    assert json.loads(from_array.stdout)["rejected"] == 1
    assert json.loads(from_lines.stdout)["imported"] == 2
    assert from_lines.returncode == 1
    assert rejected[0]["line"] == 2 and rejected[0]["row"] == "{broken"
    assert set(_users(served, "j1", "l1", "l2")) == {"j1", "l1", "l2"}


def test_a_given_rejects_path_is_used(served: Served, tmp_path: Path):
    path = tmp_path / "one.csv"
    path.write_text("user_id\nbad|id\n")
    target = tmp_path / "out" / "bad.jsonl"
    target.parent.mkdir()

    result = served.run("import", str(path), "--rejects", str(target))

    assert result.returncode == 1
    assert json.loads(target.read_text())["line"] == 2


def test_an_unknown_kind_of_file_asks_for_kind(served: Served, tmp_path: Path):
    path = tmp_path / "what.csv"
    path.write_text("colour,size\nred,9\n")

    result = served.run("import", str(path))

    assert result.returncode == 2
    assert "--kind" in result.stderr


def test_an_operation_the_server_lacks_is_one_clear_error(
    served: Served, tmp_path: Path, monkeypatch
) -> None:
    from lim_cli.importer.kinds import KINDS, Kind

    monkeypatch.setitem(
        KINDS, "friendships", Kind("friendships", "/v1/no/such/import", "friendships")
    )
    path = tmp_path / "friends.csv"
    path.write_text("from_id,to_id\na,b\n")

    result = served.invoke("import", str(path))

    assert result.exit_code == 1
    assert result.stderr == (
        "lim: this server cannot import friendships (/v1/no/such/import)\n"
    )
