"""The HTTP API over a real server: auth, every core endpoint, docs, ops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lim_protocol.errors import ErrorCode
from lim_protocol.tokens import create_user_sign


class Api:
    """An HTTP client for one server, calling as a given user."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        host, port = harness.server.addresses["http"]
        self.client = httpx.AsyncClient(base_url=f"http://{host}:{port}")

    def headers(self, user: str, token: str | None = None, app: int | None = None):
        return {
            "X-Lim-App": str(app if app is not None else self.harness.app_id),
            "X-Lim-User": user,
            "X-Lim-Sign": token or self.harness.token(user),
        }

    async def call(self, user: str, path: str, body: dict | None = None, **auth):
        response = await self.client.post(
            path, json=body or {}, headers=self.headers(user, **auth)
        )
        return response.status_code, response.json()


@pytest.fixture
async def api(make_harness: Any) -> AsyncIterator[Api]:
    harness = await make_harness(http_port=0)
    await harness.user("alice", password="wonderland")
    await harness.user("bob")
    client = Api(harness)
    yield client
    await client.client.aclose()
    await harness.close()
    await harness.server.stop()


# authentication


async def test_missing_credentials_are_refused_with_60009(api: Api) -> None:
    response = await api.client.post("/v1/app/get", json={})

    assert response.status_code == 401
    assert response.json()["code"] == ErrorCode.CREDENTIALS_MISSING


async def test_credentials_in_the_query_string_are_accepted(api: Api) -> None:
    params = {
        "appId": api.harness.app_id,
        "identifier": "alice",
        "userSign": api.harness.token("alice"),
    }
    response = await api.client.post("/v1/app/get", params=params, json={})

    assert response.json()["code"] == 200


async def test_a_garbled_token_is_refused(api: Api) -> None:
    status, reply = await api.call("alice", "/v1/app/get", token="not-a-token")

    assert status == 401
    assert reply["code"] == ErrorCode.SIGN_INVALID


async def test_an_expired_token_is_refused(api: Api) -> None:
    app = api.harness.app
    expired = create_user_sign(app.secret, app.app_id, "alice", 60, issued_at=1)

    status, reply = await api.call("alice", "/v1/app/get", token=expired)

    assert status == 401
    assert reply["code"] == ErrorCode.SIGN_EXPIRED


async def test_a_token_for_another_user_is_refused(api: Api) -> None:
    status, reply = await api.call(
        "alice", "/v1/app/get", token=api.harness.token("bob")
    )

    assert reply["code"] == ErrorCode.SIGN_USER_MISMATCH


async def test_a_token_of_another_app_is_refused(api: Api) -> None:
    services = api.harness.server.services
    other = await services.apps.create("other")
    await services.users.create(other.app_id, {"userId": "alice"})
    token = services.apps.issue_token(other.app_id, "alice")

    status, reply = await api.call("alice", "/v1/app/get", token=token)

    assert status == 401
    assert reply["code"] in (ErrorCode.SIGN_INVALID, ErrorCode.SIGN_APP_MISMATCH)


async def test_a_normal_user_cannot_act_as_another_user(api: Api) -> None:
    body = {"asUser": "bob", "userIds": ["bob"]}

    status, reply = await api.call("alice", "/v1/user/get", body)

    assert status == 403
    assert reply["code"] == ErrorCode.PERMISSION_DENIED


async def test_an_admin_may_act_as_any_user(api: Api) -> None:
    body = {"asUser": "alice", "changes": {"nickname": "Al"}}

    status, reply = await api.call("@admin", "/v1/user/update", body)

    assert status == 200
    assert reply["data"]["userId"] == "alice"
    assert reply["data"]["nickname"] == "Al"


async def test_admin_operations_are_refused_to_normal_users(api: Api) -> None:
    status, reply = await api.call("alice", "/v1/user/create", {"userId": "carol"})

    assert status == 403
    assert reply["code"] == ErrorCode.PERMISSION_DENIED


# users


async def test_admin_creates_gets_and_lists_users(api: Api) -> None:
    _, created = await api.call("@admin", "/v1/user/create", {"userId": "carol"})
    _, got = await api.call("alice", "/v1/user/get", {"userIds": ["carol", "zed"]})
    _, listed = await api.call("@admin", "/v1/user/list", {"limit": 10})

    assert created["data"]["userId"] == "carol"
    assert [u["userId"] for u in got["data"]["users"]] == ["carol"]
    assert got["data"]["missing"] == ["zed"]
    assert {"alice", "bob", "carol"} <= {u["userId"] for u in listed["data"]["users"]}


async def test_creating_an_existing_user_is_a_conflict(api: Api) -> None:
    status, reply = await api.call("@admin", "/v1/user/create", {"userId": "bob"})

    assert status == 409
    assert reply["code"] == ErrorCode.USER_EXISTS


async def test_import_reports_bad_rows_by_index(api: Api) -> None:
    users = [{"userId": "d1"}, {"userId": "bad id"}, {"userId": "d2", "gender": 7}]

    _, reply = await api.call("@admin", "/v1/user/import", {"users": users})

    assert reply["data"]["imported"] == 1
    assert [row["index"] for row in reply["data"]["rejected"]] == [1, 2]


async def test_a_user_updates_themselves_but_not_their_type(api: Api) -> None:
    _, ok = await api.call("alice", "/v1/user/update", {"changes": {"signature": "hi"}})
    _, refused = await api.call(
        "alice", "/v1/user/update", {"changes": {"userType": 100}}
    )

    assert ok["data"]["signature"] == "hi"
    assert refused["code"] == ErrorCode.PERMISSION_DENIED


async def test_silence_disable_and_delete_change_the_user(api: Api) -> None:
    _, silenced = await api.call("@admin", "/v1/user/silence", {"userId": "bob"})
    _, disabled = await api.call("@admin", "/v1/user/disable", {"userId": "bob"})
    _, deleted = await api.call("@admin", "/v1/user/delete", {"userId": "bob"})
    _, again = await api.call("@admin", "/v1/user/delete", {"userId": "bob"})

    assert silenced["data"]["silenced"] is True
    assert disabled["data"]["disabled"] is True
    assert deleted["data"]["deleted"] is True
    assert again["code"] == ErrorCode.USER_NOT_FOUND


async def test_ssh_keys_are_added_listed_and_removed(api: Api) -> None:
    key = (
        "ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"
    )

    _, added = await api.call("alice", "/v1/user/key/add", {"publicKey": key})
    _, listed = await api.call("alice", "/v1/user/key/list", {})
    fingerprint = added["data"]["fingerprint"]
    _, removed = await api.call(
        "alice", "/v1/user/key/remove", {"fingerprint": fingerprint}
    )
    _, bad = await api.call("alice", "/v1/user/key/add", {"publicKey": "nonsense"})

    assert [k["fingerprint"] for k in listed["data"]] == [fingerprint]
    assert removed["data"] == {"removed": fingerprint}
    assert bad["code"] == ErrorCode.USER_FIELD_INVALID


async def test_token_issue_mints_a_working_token(api: Api) -> None:
    _, issued = await api.call("@admin", "/v1/token/issue", {"userId": "bob"})

    token = issued["data"]["userSign"]
    status, reply = await api.call("bob", "/v1/app/get", token=token)

    assert reply["code"] == 200


# passwords


async def test_password_login_returns_a_token(api: Api) -> None:
    body = {"appId": api.harness.app_id, "userId": "alice", "password": "wonderland"}

    response = await api.client.post("/v1/auth/login", json=body)
    token = response.json()["data"]["userSign"]
    status, reply = await api.call("alice", "/v1/app/get", token=token)

    assert reply["code"] == 200


async def test_password_login_with_a_wrong_password_is_refused(api: Api) -> None:
    body = {"appId": api.harness.app_id, "userId": "alice", "password": "nope"}

    response = await api.client.post("/v1/auth/login", json=body)

    assert response.status_code == 401
    assert response.json()["code"] == ErrorCode.PASSWORD_WRONG


async def test_a_changed_password_replaces_the_old_one(api: Api) -> None:
    await api.call("alice", "/v1/user/password", {"password": "new"})
    body = {"appId": api.harness.app_id, "userId": "alice", "password": "wonderland"}

    response = await api.client.post("/v1/auth/login", json=body)

    assert response.json()["code"] == ErrorCode.PASSWORD_WRONG


# apps


async def test_an_admin_changes_app_settings(api: Api) -> None:
    body = {"settings": {"recallWindowSeconds": 30}}

    _, changed = await api.call("@admin", "/v1/app/settings/update", body)
    _, refused = await api.call("alice", "/v1/app/settings/update", body)
    _, invalid = await api.call(
        "@admin", "/v1/app/settings/update", {"settings": {"nope": 1}}
    )

    assert changed["data"]["settings"]["recallWindowSeconds"] == 30
    assert refused["code"] == ErrorCode.PERMISSION_DENIED
    assert invalid["code"] == ErrorCode.INVALID_PARAMS


async def test_only_the_home_apps_admin_lists_and_creates_apps(api: Api) -> None:
    _, created = await api.call("@admin", "/v1/app/create", {"name": "shop"})
    _, listed = await api.call("@admin", "/v1/app/list", {})
    _, refused = await api.call("alice", "/v1/app/list", {})

    new_app = created["data"]["appId"]
    services = api.harness.server.services
    token = services.apps.issue_token(new_app, "@admin")
    _, foreign = await api.call("@admin", "/v1/app/list", {}, token=token, app=new_app)

    assert [a["name"] for a in listed["data"]["apps"]] == ["default", "shop"]
    assert "secret" not in listed["data"]["apps"][0]
    assert refused["code"] == ErrorCode.PERMISSION_DENIED
    assert foreign["code"] == ErrorCode.PERMISSION_DENIED


# messages


async def test_send_and_history_over_http(api: Api) -> None:
    body = {"messageId": "m1", "toId": "bob", "messageBody": "hello"}

    _, ack = await api.call("alice", "/v1/message/send", body)
    _, again = await api.call("alice", "/v1/message/send", body)
    _, history = await api.call(
        "bob", "/v1/message/history", {"conversationId": "p2p|alice|bob"}
    )

    assert ack["data"]["messageSequence"] == 1
    assert again["data"]["duplicate"] is True
    assert [m["messageBody"]["text"] for m in history["data"]] == ["hello"]


async def test_sending_to_an_unknown_user_is_refused(api: Api) -> None:
    body = {"messageId": "m1", "toId": "nobody", "messageBody": "hello"}

    _, reply = await api.call("alice", "/v1/message/send", body)

    assert reply["code"] == ErrorCode.RECEIVER_NOT_FOUND


async def test_sync_cursors_and_pulls_answer(api: Api) -> None:
    await api.call(
        "alice",
        "/v1/message/send",
        {"messageId": "m", "toId": "bob", "messageBody": "x"},
    )

    _, cursors = await api.call("bob", "/v1/sync/cursors", {})
    _, pulled = await api.call(
        "bob", "/v1/sync/messages", {"conversationId": "p2p|alice|bob"}
    )
    _, unknown = await api.call("bob", "/v1/sync/pull", {"kind": "nope"})

    assert cursors["code"] == 200
    assert len(pulled["data"]["dataList"]) == 1
    assert unknown["code"] != 200


async def test_invalid_bodies_get_90001_and_unknown_fields_are_refused(
    api: Api,
) -> None:
    _, missing = await api.call("@admin", "/v1/user/create", {})
    _, extra = await api.call("alice", "/v1/app/get", {"surprise": 1})
    response = await api.client.post(
        "/v1/app/get", content=b"{not json", headers=api.headers("alice")
    )

    assert missing["code"] == ErrorCode.INVALID_PARAMS
    assert extra["code"] == ErrorCode.INVALID_PARAMS
    assert response.json()["code"] == ErrorCode.BODY_NOT_JSON


# the socket reaches the same operations


async def test_api_request_over_the_socket_runs_the_same_operation(api: Api) -> None:
    session = await api.harness.device("alice")

    data = await session.api("/v1/user/update", {"changes": {"nickname": "Ali"}})
    _, reply = await api.call("bob", "/v1/user/get", {"userIds": ["alice"]})

    assert data["nickname"] == "Ali"
    assert reply["data"]["users"][0]["nickname"] == "Ali"


async def test_api_request_over_the_socket_applies_the_same_refusals(api: Api) -> None:
    from lim_client.session import LimClientError

    session = await api.harness.device("alice")

    with pytest.raises(LimClientError) as refused:
        await session.api("/v1/user/get", {"asUser": "bob", "userIds": ["bob"]})

    assert refused.value.code == ErrorCode.PERMISSION_DENIED


# route, docs and operations endpoints


async def test_route_returns_the_gateway_addresses(api: Api) -> None:
    response = await api.client.get("/v1/route", headers=api.headers("alice"))
    route = response.json()["data"]

    assert route["ws"].startswith("ws://") and route["ws"].endswith("/ws")
    assert route["tcp"].endswith(f":{api.harness.server.addresses['tcp'][1]}")


async def test_route_needs_credentials(api: Api) -> None:
    response = await api.client.get("/v1/route")

    assert response.json()["code"] == ErrorCode.CREDENTIALS_MISSING


async def test_health_answers_ok(api: Api) -> None:
    response = await api.client.get("/health")

    assert response.json()["data"]["status"] == "ok"


async def test_metrics_are_prometheus_text(api: Api) -> None:
    await api.harness.device("alice")

    response = await api.client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE lim_connections gauge" in response.text
    assert "lim_sessions 1" in response.text
    assert "lim_ack_latency_seconds_bucket" in response.text


async def test_openapi_lists_every_operation_and_docs_are_served(api: Api) -> None:
    from lim_server.api.operations import load_operations

    schema = (await api.client.get("/openapi.json")).json()
    docs = await api.client.get("/docs")

    assert set(load_operations()) <= set(schema["paths"])
    assert "/v1/auth/login" in schema["paths"]
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_every_ack_is_counted_in_the_latency_histogram(api: Api) -> None:
    def acks(text: str) -> int:
        lines = text.splitlines()
        count = next(x for x in lines if x.startswith("lim_ack_latency_seconds_count"))
        return int(count.split()[1])

    alice = await api.harness.device("alice")
    before = acks((await api.client.get("/metrics")).text)

    await alice.send_message("alice", "a note")
    await alice.send_message("alice", "another")

    assert acks((await api.client.get("/metrics")).text) == before + 2
