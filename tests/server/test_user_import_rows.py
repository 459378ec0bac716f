"""The plain checks of bulk-imported user rows agree with the UserFields model."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lim_protocol.errors import ProtocolError
from lim_server.services.users import UserFields, UserService, plain_import_row

CASES: list[dict[str, Any]] = [
    {"userId": "a"},
    {"user_id": "a", "nickname": "x" * 128},
    {"userId": "a", "nickname": "x" * 129},
    {"userId": "a b"},
    {"userId": "a|b"},
    {"userId": "a", "gender": 3},
    {"userId": "a", "gender": "1"},
    {"userId": "a", "gender": True},
    {"userId": "a", "extra": {"k": [1, 2]}},
    {"userId": "a", "extra": "nope"},
    {"userId": "a", "userType": 100},
    {"userId": "a", "userType": 5},
    {"userId": "a", "friendPolicy": 2},
    {"userId": "a", "bogus": 1},
    {"userId": "a", "user_id": "b"},
    {"nickname": "no id"},
    {"userId": "a", "password": ""},
    {"userId": "a", "signature": None},
]


def _model(row: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return UserFields.model_validate(row).model_dump(exclude={"password"})
    except ValueError:
        return None


@pytest.mark.parametrize("row", CASES)
def test_plain_checks_accept_only_what_the_model_accepts_unchanged(row) -> None:
    plain = plain_import_row(row)

    if plain is not None:
        assert plain == _model(row)


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["userId", "nickname", "gender", "userType", "extra", "x"]),
        st.one_of(st.integers(-1, 101), st.text(max_size=3), st.none(), st.booleans()),
    )
)
def test_plain_checks_never_accept_a_row_the_model_refuses(row) -> None:
    plain = plain_import_row(row)

    if plain is not None:
        assert plain == _model(row)


def test_a_refused_row_still_gets_the_models_reason() -> None:
    service = UserService.__new__(UserService)

    with pytest.raises(ProtocolError) as refused:
        service.validate_import_row({"userId": "a", "gender": 9})

    assert refused.value.msg.startswith("gender")
