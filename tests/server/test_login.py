"""Logging in over TCP and WebSocket: who is let in, who is refused, timeouts."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lim_client.session import LimClientError
from lim_protocol.commands import ClientType, Command
from lim_protocol.errors import ErrorCode
from lim_protocol.tokens import create_user_sign

from .conftest import drain, wait_closed, wait_until

TRANSPORTS = ["tcp", "ws"]


def bad_token(harness: Any, case: str) -> tuple[str, str]:
    """The (userId, userSign) pair of one way to get a login wrong."""
    secret, app_id = harness.app.secret, harness.app_id
    if case == "bad sign":
        return "alice", create_user_sign("not the secret", app_id, "alice")
    if case == "expired":
        issued = int(time.time()) - 120
        return "alice", create_user_sign(secret, app_id, "alice", 60, issued_at=issued)
    if case == "wrong app":
        return "alice", create_user_sign(secret, app_id + 1, "alice")
    if case == "other user":
        return "alice", harness.token("bob")
    if case == "unknown user":
        return "nobody", harness.token("nobody")
    if case == "disabled user":
        return "carol", harness.token("carol")
    if case == "garbage":
        return "alice", "garbage"
    raise ValueError(case)


REFUSALS = [
    ("bad sign", ErrorCode.SIGN_INVALID),
    ("expired", ErrorCode.SIGN_EXPIRED),
    ("wrong app", ErrorCode.SIGN_APP_MISMATCH),
    ("other user", ErrorCode.SIGN_USER_MISMATCH),
    ("unknown user", ErrorCode.USER_NOT_FOUND),
    ("disabled user", ErrorCode.USER_DISABLED),
    ("garbage", ErrorCode.SIGN_INVALID),
]


@pytest.fixture
async def users(harness: Any) -> Any:
    for user_id in ("alice", "bob", "carol"):
        await harness.user(user_id)
    await harness.server.services.users.set_flag(
        harness.app_id, "carol", "disabled", True
    )
    return harness


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_valid_token_logs_in(users: Any, transport: str) -> None:
    session = await users.device(login=False, transport=transport)

    data = await session.login("alice", users.token("alice"))

    assert data["userId"] == "alice"
    assert abs(data["serverTime"] - time.time() * 1000) < 60_000
    assert users.server.router.is_online(users.app_id, "alice")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("case", "code"), REFUSALS, ids=[c for c, _ in REFUSALS])
async def test_a_refused_login_gets_its_code_and_then_the_connection_closes(
    users: Any, transport: str, case: str, code: int
) -> None:
    session = await users.device(login=False, transport=transport)
    user_id, token = bad_token(users, case)

    with pytest.raises(LimClientError) as caught:
        await session.login(user_id, token)

    assert caught.value.code == code
    await wait_closed(session)
    assert not users.server.router.is_online(users.app_id, user_id)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_unknown_client_type_is_refused(users: Any, transport: str) -> None:
    session = await users.device(login=False, transport=transport, client_type=99)

    with pytest.raises(LimClientError) as caught:
        await session.login("alice", users.token("alice"))

    assert caught.value.code == ErrorCode.INVALID_PARAMS
    await wait_closed(session)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_requests_before_login_get_not_logged_in(
    users: Any, transport: str
) -> None:
    session = await users.device(login=False, transport=transport)

    with pytest.raises(LimClientError) as sent:
        await session.send_message("bob", "hi", message_id="m1")
    with pytest.raises(LimClientError) as called:
        await session.api("/v1/sync/cursors")

    assert sent.value.code == ErrorCode.NOT_LOGGED_IN
    assert sent.value.data == {"messageId": "m1"}
    assert called.value.code == ErrorCode.NOT_LOGGED_IN
    assert (await session.login("alice", users.token("alice")))["userId"] == "alice"
    assert users.server.store.messages.count() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_connection_that_never_logs_in_is_closed(
    make_harness: Any, transport: str
) -> None:
    harness = await make_harness(login_timeout=0.2)
    session = await harness.device(transport=transport)

    await wait_closed(session)

    codes = [event.body["code"] for event in drain(session, Command.ERROR)]
    assert codes == [ErrorCode.LOGIN_TIMEOUT]
    assert harness.server.gateway.timed_out == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_silent_session_is_closed_after_the_idle_timeout(
    make_harness: Any, transport: str
) -> None:
    harness = await make_harness(idle_timeout=0.3)
    await harness.user("alice")
    session = await harness.device("alice", transport=transport)

    await wait_closed(session)

    codes = [event.body["code"] for event in drain(session, Command.ERROR)]
    assert codes == [ErrorCode.IDLE_TIMEOUT]
    await wait_until(
        lambda: not harness.server.router.is_online(harness.app_id, "alice")
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ping_is_answered_with_the_server_time_before_and_after_login(
    users: Any, transport: str
) -> None:
    session = await users.device(login=False, transport=transport)

    before = await session.ping()
    await session.login("alice", users.token("alice"))
    after = await session.ping()

    assert abs(before - time.time() * 1000) < 60_000
    assert after >= before


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_logout_closes_the_session_and_takes_the_device_offline(
    users: Any, transport: str
) -> None:
    session = await users.device("alice", transport=transport)
    assert users.server.router.is_online(users.app_id, "alice")

    await session.logout()

    assert session.closed.is_set()
    await wait_until(lambda: not users.server.router.is_online(users.app_id, "alice"))


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_second_login_on_the_same_connection_is_refused_and_harmless(
    users: Any, transport: str
) -> None:
    session = await users.device("alice", transport=transport)

    with pytest.raises(LimClientError) as caught:
        await session.login("bob", users.token("bob"))

    assert caught.value.code == ErrorCode.ALREADY_LOGGED_IN
    assert await session.ping() > 0
    assert len(users.server.router.devices(users.app_id, "alice")) == 1
    assert not users.server.router.is_online(users.app_id, "bob")


async def test_a_disabled_user_is_logged_out_of_every_device(users: Any) -> None:
    first = await users.device("alice")
    second = await users.device("alice", transport="ws")

    await users.server.services.users.set_flag(users.app_id, "alice", "disabled", True)

    await wait_closed(first)
    await wait_closed(second)
    assert not users.server.router.is_online(users.app_id, "alice")


async def test_an_api_client_type_can_log_in(users: Any) -> None:
    session = await users.device("alice", client_type=ClientType.API)

    assert await session.ping() > 0


async def test_a_login_to_an_unknown_app_is_refused(users: Any) -> None:
    session = await users.device(login=False)
    session.app_id = users.app_id + 100

    with pytest.raises(LimClientError) as caught:
        await session.login("alice", users.token("alice"))

    assert caught.value.code == ErrorCode.APP_NOT_FOUND
    await wait_closed(session)
