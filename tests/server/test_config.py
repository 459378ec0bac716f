"""Server configuration: defaults, then lim.toml, then environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from lim_protocol.errors import ConfigError
from lim_server.config import CONFIG_NAME, load_config, render_config
from lim_server.server import LimServer
from lim_server.store.database import COMMIT_WINDOW


def test_file_then_environment_then_flags_override_each_other(tmp_path: Path):
    (tmp_path / CONFIG_NAME).write_text("ws_port = 9000\ntcp_port = 9001\n")
    environ = {"LIM_TCP_PORT": "9101", "LIM_HTTP_PORT": "9102"}

    config = load_config(tmp_path, overrides={"http_port": 9202}, environ=environ)

    assert config.ws_port == 9000
    assert config.tcp_port == 9101
    assert config.http_port == 9202
    assert config.commit_window_ms == COMMIT_WINDOW * 1000


def test_rendered_config_loads_back_to_the_same_values(tmp_path: Path):
    original = load_config(
        tmp_path, overrides={"ws_port": 0, "commit_window_ms": 1.5}, environ={}
    )
    (tmp_path / CONFIG_NAME).write_text(render_config(original))

    loaded = load_config(tmp_path, environ={})

    assert loaded == original


@pytest.mark.parametrize("value", ["-1", "51", "soon"])
def test_a_commit_window_out_of_range_is_refused_with_its_name(
    tmp_path: Path, value: str
):
    with pytest.raises(ConfigError, match="commit_window_ms"):
        load_config(tmp_path, environ={"LIM_COMMIT_WINDOW_MS": value})


def test_an_unknown_option_in_the_file_is_refused(tmp_path: Path):
    (tmp_path / CONFIG_NAME).write_text("commit_windw_ms = 2\n")

    with pytest.raises(ConfigError, match="commit_windw_ms"):
        load_config(tmp_path, environ={})


def test_the_commit_window_reaches_the_writer(tmp_path: Path):
    config = load_config(tmp_path, environ={"LIM_COMMIT_WINDOW_MS": "2.5"})

    server = LimServer(config)

    assert server.store.db.commit_window == pytest.approx(0.0025)
