"""The import readers and kind inference, without a server."""

from __future__ import annotations

import io

import pytest

from lim_cli.importer import readers
from lim_cli.importer.kinds import KINDS, infer_kind, map_row
from lim_cli.importer.readers import read_csv, read_json_array, read_jsonl


def _csv(text: str):
    meta: dict = {}
    return list(read_csv(io.StringIO(text), meta)), meta


def test_csv_rows_carry_the_line_they_start_on() -> None:
    records, meta = _csv('user_id,nickname\na,"two\nlines"\nb,B\n')

    assert meta["header"] == ["user_id", "nickname"]
    assert [(r.line, r.row) for r in records] == [
        (2, {"user_id": "a", "nickname": "two\nlines"}),
        (4, {"user_id": "b", "nickname": "B"}),
    ]


def test_csv_rows_with_the_wrong_width_are_errors() -> None:
    records, _ = _csv("user_id,nickname\na,A,extra\nb\n")

    assert [(r.line, r.error) for r in records] == [
        (2, "expected 2 columns, found 3"),
        (3, "expected 2 columns, found 1"),
    ]


def test_csv_empty_cells_are_left_out_and_blank_lines_skipped() -> None:
    records, _ = _csv("user_id,nickname\n\na,\n")

    assert [(r.line, r.row) for r in records] == [(3, {"user_id": "a"})]


def test_jsonl_reports_bad_lines_and_goes_on() -> None:
    text = '{"userId": "a"}\nnot json\n[1]\n\n{"userId": "b"}\n'

    records = list(read_jsonl(io.StringIO(text)))

    assert [(r.line, r.row is not None, r.error is not None) for r in records] == [
        (1, True, False),
        (2, False, True),
        (3, False, True),
        (5, True, False),
    ]


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_json_arrays_stream_across_chunk_boundaries(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(readers, "CHUNK", chunk)
    text = (
        '[\n  {"userId": "a", "n": 12345},\n  {"userId": "b"},\n  7,\n'
        '  {"userId": "c"}\n]'
    )

    records = list(read_json_array(io.StringIO(text)))

    assert [(r.line, r.row) for r in records] == [
        (2, {"userId": "a", "n": 12345}),
        (3, {"userId": "b"}),
        (4, None),
        (5, {"userId": "c"}),
    ]
    assert records[2].error == "expected a JSON object"


def test_a_broken_json_array_ends_with_an_error_at_its_line() -> None:
    records = list(read_json_array(io.StringIO('[{"userId": "a"},\n{"userId": ]')))

    assert records[0].row == {"userId": "a"}
    assert records[-1].line == 2 and "bad JSON" in (records[-1].error or "")


def test_a_json_file_that_is_not_an_array_is_refused() -> None:
    records = list(read_json_array(io.StringIO('{"userId": "a"}')))

    assert records[0].error == "expected a JSON array ([...])"


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        (["user_id", "nickname"], "users"),
        (["userId"], "users"),
        (["from_id", "to_id", "remark"], "friendships"),
        (["group_id", "member_id", "role"], "members"),
        (["groupId", "name", "ownerId"], "groups"),
        (["group_id", "owner_id"], "groups"),
        (["something"], None),
    ],
)
def test_the_kind_is_inferred_from_the_columns(columns: list[str], kind) -> None:
    assert infer_kind(columns) == kind


def test_rows_are_mapped_to_camel_case_with_numbers_converted() -> None:
    row = {"user_id": "a", "gender": "2", "extra": '{"k": 1}', "nickname": "007"}

    assert map_row(KINDS["users"], row) == {
        "userId": "a",
        "gender": 2,
        "extra": {"k": 1},
        "nickname": "007",
    }
