"""The HTTP API: every registered operation as ``POST /v1/...``.

Requests are authenticated by ``appId``, ``identifier`` and ``userSign``,
from the query string or from the headers ``X-Lim-App``, ``X-Lim-User`` and
``X-Lim-Sign``. Every answer is ``{code, msg, data}``; the HTTP status
mirrors the code's family (401 bad credentials, 403 refused, 404 unknown,
400 invalid, 409 conflict, 500 bug) so that generic HTTP tooling can tell
failures apart without reading the body.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from lim_protocol.errors import ErrorCode, ProtocolError

from .. import metrics
from ..services.context import Caller
from ..services.users import validation_message
from .operations import Operation, dispatch, load_operations

if TYPE_CHECKING:
    from ..server import LimServer

AUTH_FIELDS = {
    "appId": "X-Lim-App",
    "identifier": "X-Lim-User",
    "userSign": "X-Lim-Sign",
}


class PasswordLogin(BaseModel):
    appId: int
    userId: str
    password: str
    lifetime: int = 86400


def status_for(code: int) -> int:
    if code == 200:
        return 200
    if code in (ErrorCode.PERMISSION_DENIED, ErrorCode.GROUP_PERMISSION_DENIED):
        return 403
    if code in (ErrorCode.NOT_FOUND, ErrorCode.APP_NOT_FOUND):
        return 404
    if 60000 <= code < 60010 or code == ErrorCode.PASSWORD_WRONG:
        return 401
    if code == ErrorCode.INTERNAL_ERROR:
        return 500
    if code in (ErrorCode.USER_EXISTS, ErrorCode.FRIEND_EXISTS, ErrorCode.GROUP_EXISTS):
        return 409
    return 400


def reply(code: int = 200, msg: str = "ok", data: Any = None) -> JSONResponse:
    return JSONResponse(
        {"code": code, "msg": msg, "data": data}, status_code=status_for(code)
    )


def create_http_app(server: LimServer) -> FastAPI:
    app = FastAPI(
        title="lim",
        version="1",
        description="The lim HTTP API. Every operation answers {code, msg, data}.",
    )
    services = server.services

    def authenticate(request: Request) -> Caller:
        values = {
            name: request.query_params.get(name) or request.headers.get(header)
            for name, header in AUTH_FIELDS.items()
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ProtocolError(
                ErrorCode.CREDENTIALS_MISSING,
                "missing credentials: " + ", ".join(missing),
            )
        try:
            app_id = int(values["appId"] or "")
        except ValueError:
            raise ProtocolError(
                ErrorCode.SIGN_INVALID, "appId must be an integer"
            ) from None
        user_id, token = values["identifier"] or "", values["userSign"] or ""
        lim_app = services.apps.verify_token(app_id, user_id, token)
        user = services.users.find(app_id, user_id)
        if user is None or user.disabled:
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, f"no user {user_id!r}")
        return Caller(lim_app, user_id, user_id, user.is_admin)

    def add_route(op: Operation) -> None:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                caller = authenticate(request)
                raw = await request.body()
                body = from_json(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ProtocolError(
                        ErrorCode.BODY_NOT_JSON, "body must be an object"
                    )
                data = await dispatch(services, caller, op.path, body)
            except ProtocolError as error:
                return reply(error.code, error.msg)
            except ValueError:
                return reply(ErrorCode.BODY_NOT_JSON, "body is not valid JSON")
            return reply(data=data)

        schema = op.model.model_json_schema(by_alias=True)
        app.add_api_route(
            op.path,
            endpoint,
            methods=["POST"],
            summary=op.summary,
            tags=[op.tag],
            name=op.path,
            openapi_extra={
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": schema}},
                },
                "description": (op.handler.__doc__ or "")
                + ("\n\nNeeds an app admin." if op.admin else ""),
            },
        )

    for op in load_operations().values():
        add_route(op)

    @app.post("/v1/auth/login", tags=["auth"], summary="Password login")
    async def password_login(body: PasswordLogin) -> JSONResponse:
        """Trade a user's password for a userSign (no other credentials)."""
        try:
            services.apps.get(body.appId)
            user = services.users.check_password(body.appId, body.userId, body.password)
            lifetime = max(60, min(body.lifetime, 30 * 86400))
            token = services.apps.issue_token(body.appId, user.user_id, lifetime)
        except ProtocolError as error:
            return reply(error.code, error.msg)
        return reply(data={"userId": user.user_id, "userSign": token})

    @app.get("/v1/route", tags=["auth"], summary="Gateway addresses")
    async def route(request: Request) -> JSONResponse:
        """Where a client should connect: WebSocket URL and TCP host:port."""
        try:
            authenticate(request)
        except ProtocolError as error:
            return reply(error.code, error.msg)
        return reply(data=server.route())

    @app.get("/health", tags=["ops"], summary="Liveness and readiness")
    async def health() -> JSONResponse:
        return reply(
            data={
                "status": "ok",
                "uptime": round(time.monotonic() - server.started_at, 3),
                "connections": len(server.gateway.sessions),
            }
        )

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def get_metrics() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(server))

    @app.exception_handler(ValidationError)
    async def invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return reply(ErrorCode.INVALID_PARAMS, validation_message(exc))

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        error = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in error["loc"] if part != "body")
        return reply(ErrorCode.INVALID_PARAMS, f"{where}: {error['msg']}")

    return app
