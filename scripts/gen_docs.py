"""Write docs/api.md and docs/cli.md from the code.

Every registered API operation and every CLI command is listed, so that the
reference cannot drift from what the server and the CLI do; the intros are
the hand-written part. ``tests/test_docs.py`` fails when the committed files
differ from what this script writes, so after adding an operation or a
command, run::

    PYTHONPATH=. python scripts/gen_docs.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 88

API_INTRO = """\
# lim HTTP API

The HTTP API is served by `lim serve` beside the gateways (port 7780 by
default, `--http-port`). Every operation is a `POST` to a path under `/v1/`
with a JSON object as the body, and every answer is a JSON object:

```json
{"code": 200, "msg": "ok", "data": ...}
```

`code` 200 is success; any other code is an error from the ranges of the
wire protocol (20000 users, 30000 relations, 40000 groups, 50000 messages,
60000 authentication and protocol, 90000 server and parameters), with a
short reason in `msg`. The HTTP status mirrors the family of the code, so
that generic tooling can tell failures apart without reading the body: 401
for bad or missing credentials and wrong passwords, 403 for refusals, 404
for unknown things, 409 for conflicts (the user exists), 400 for invalid
parameters and 500 for bugs.

## Authentication

A request names its app, its user and that user's token (a `userSign`,
printed by `lim token USER`, minted by `/v1/token/issue`, or traded for a
password at `/v1/auth/login`), either in the query string (`appId`,
`identifier`, `userSign`) or in the headers `X-Lim-App`, `X-Lim-User` and
`X-Lim-Sign`. Missing credentials get 60009; a token that is garbled,
expired, for another user or for another app gets 60000-60003 or 60007.

A normal user acts only as itself. An app admin (user type 100, such as the
`@admin` account every app has) may act for any user of its app by adding
`"asUser": "alice"` to the body; a normal user naming someone else gets
60008. Nothing crosses apps. Operations marked *admin only* below refuse
normal users with 60008. Listing and creating apps is for the home app's
`@admin` alone (the first app, created by `lim init`): its token is signed
with a secret kept in the server's data directory, so in practice only the
local administrator calls them.

Every body may also carry `"rid"`, echoed in socket replies. Unknown fields
are refused (90001), so a misspelt field is an error, not a silent default.

## The socket

The same operations are reachable over an open TCP or WebSocket session
with `API_REQUEST` (9100) `{rid, path, body}`, answered by `API_RESPONSE`
with the same `{code, msg, data}`; they run through the same dispatch, with
the session's user as the caller.

## Other endpoints

- `POST /v1/auth/login` `{appId, userId, password, lifetime?}`, without
  credentials: trades a password for `{userId, userSign}`.
- `GET /v1/route`, with credentials: the gateway addresses a client should
  connect to, `{ws, tcp, http}`.
- `GET /health`: liveness, `{status, uptime, connections}`.
- `GET /metrics`: Prometheus text (connections, sessions, messages, the ack
  latency histogram, ...).
- `GET /openapi.json` and `GET /docs`: the OpenAPI document and the
  interactive documentation.

In the examples, `$LIM_SERVER` is the API's URL (`http://127.0.0.1:7780`)
and `$TOKEN` a userSign of the user named in `X-Lim-User`.

## Operations
"""

CLI_INTRO = """\
# The lim command line

`lim` runs the server (`lim init`, `lim serve`), administers it (`lim app`,
`lim user`, `lim import`, `lim token`) and talks on it from scripts (`lim
send`, `lim listen`, `lim history`). `lim chat` is the terminal client.

## Finding the server

A command that calls the API works out where to send it, in this order:

1. `--server URL` / `LIM_SERVER` with `--token` / `LIM_TOKEN`: exactly that.
2. A readable data directory (`--data-dir`, `LIM_DATA_DIR`, or
   `$XDG_DATA_HOME/lim`, by default `~/.local/share/lim`) with a running
   server: the address the server recorded in `server.json`, acting as the
   app's `@admin` with a short-lived token signed on the spot, as root
   would on a database server. No login is needed on the server's machine.
3. The profile saved by `lim login`: `$XDG_CONFIG_HOME/lim/config.toml`
   (by default `~/.config/lim/config.toml`), or the file named by
   `LIM_CONFIG_FILE`. It holds a token, so it is written with mode 0600.

`LIM_TOKEN` alone uses the profile's server. `--as USER` lets an admin act
for a user. `LIM_CONFIG` is the server's own TOML file, read by
`lim serve`.

## Output and exit codes

Commands print data as a table or a line of text, or as JSON with `--json`
(`lim listen` prints one JSON object per line). Errors are one line on
stderr, `lim: <reason> (code <n>)` when the server refused. The exit code
is 0 on success, 1 on an error (including any rejected row of an import),
2 on a usage error; destructive commands ask first and need `--yes` when
not on a terminal.

## Commands
"""


def operations_markdown() -> str:
    from lim_server.api.operations import load_operations

    out = [API_INTRO]
    for path, op in sorted(load_operations().items()):
        schema = op.model.model_json_schema(by_alias=True)
        out.append(f"### `{path}`\n")
        out.append(op.summary + ("  \n*Admin only.*" if op.admin else "") + "\n")
        rows = _field_rows(schema)
        if rows:
            out.append("| field | type | required | default |")
            out.append("|---|---|---|---|")
            out.extend(rows)
            out.append("")
        example = _example(schema)
        body = json.dumps(example, ensure_ascii=False)
        out.append("```sh")
        out.append(f'curl -s "$LIM_SERVER{path}" \\')
        out.append(
            '  -H "X-Lim-App: 1" -H "X-Lim-User: @admin" -H "X-Lim-Sign: $TOKEN" \\'
        )
        out.append(f"  -d '{body}'")
        out.append("```\n")
    return "\n".join(out).rstrip() + "\n"


SKIPPED = ("rid", "asUser")


def _field_rows(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = []
    for name, spec in schema.get("properties", {}).items():
        if name in SKIPPED:
            continue
        default = "" if name in required else json.dumps(spec.get("default"))
        rows.append(
            f"| `{name}` | {_type(spec, schema)} | "
            f"{'yes' if name in required else 'no'} | {default} |"
        )
    return rows


def _type(spec: dict[str, Any], root: dict[str, Any]) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in spec:
        return " or ".join(_type(part, root) for part in spec["anyOf"])
    kind = spec.get("type", "any")
    if kind == "array":
        return f"array of {_type(spec.get('items', {}), root)}"
    if kind == "object":
        return "object"
    limits = []
    for key, word in (("minimum", ">="), ("maximum", "<="), ("maxLength", "len <=")):
        if key in spec:
            limits.append(f"{word} {spec[key]}")
    return kind + (f" ({', '.join(limits)})" if limits else "")


PLACEHOLDERS = {
    "userId": "alice",
    "toId": "bob",
    "fromId": "alice",
    "groupId": "team",
    "memberId": "bob",
    "ownerId": "alice",
    "messageId": "2f1c9e0a",
    "conversationId": "p2p|alice|bob",
    "messageBody": {"type": "text", "text": "hello"},
    "publicKey": "ssh-ed25519 AAAAC3Nza... alice@laptop",
    "fingerprint": "SHA256:Qx...",
    "password": "s3cret",
    "name": "team",
    "kind": "profiles",
}


def _example(schema: dict[str, Any]) -> dict[str, Any]:
    examples = schema.get("examples")
    if examples:
        return dict(examples[0])
    required = schema.get("required", [])
    body: dict[str, Any] = {}
    for name in required:
        spec = schema["properties"][name]
        body[name] = PLACEHOLDERS.get(name, _placeholder(spec))
    return body


def _placeholder(spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "array":
        item = spec.get("items", {})
        return [{} if item.get("type") == "object" else "alice"]
    return {"integer": 1, "number": 1, "boolean": True, "object": {}}.get(
        str(kind), "text"
    )


def commands_markdown() -> str:
    import typer

    from lim_cli.main import app

    root = typer.main.get_command(app)
    out = [CLI_INTRO]
    ctx = root.make_context(
        "lim", [], resilient_parsing=True, max_content_width=WIDTH, terminal_width=WIDTH
    )
    _walk(root, ctx, "lim", out)
    return "\n".join(out).rstrip() + "\n"


def _walk(command: Any, ctx: Any, name: str, out: list[str]) -> None:
    out.append(f"### `{name}`\n")
    out.append("```text")
    out.append(command.get_help(ctx).rstrip())
    out.append("```\n")
    for sub_name in sorted(getattr(command, "commands", {})):
        sub = command.get_command(ctx, sub_name)
        if sub is None or sub.hidden:
            continue
        sub_ctx = sub.make_context(sub_name, [], parent=ctx, resilient_parsing=True)
        _walk(sub, sub_ctx, f"{name} {sub_name}", out)


def generate() -> dict[Path, str]:
    return {
        ROOT / "docs" / "api.md": operations_markdown(),
        ROOT / "docs" / "cli.md": commands_markdown(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Write docs/api.md and docs/cli.md.")
    parser.add_argument(
        "--check", action="store_true", help="Exit 1 if the files are out of date."
    )
    args = parser.parse_args()
    stale = []
    for path, text in generate().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date: {names}; run scripts/gen_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
