"""``python app.py`` (what ``make run`` starts): a port in use is one Japanese line and exit 2, before
anything is opened or seeded; the help is in Japanese."""

from __future__ import annotations

import socket

import pytest

import app


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "AZURE_TABLES_CONNECTION_STRING",
        "ROSTER_FILE",
        "ORGANISATION_FILE",
        "BOT_HOST",
        "BOT_CLOCK_START",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_a_port_in_use_is_one_line_and_exit_2_before_the_store_is_made(env, monkeypatch, capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("BOT_PORT", str(port))
        assert app.main(["--seed"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"エラー: ポート {port} はほかのプログラムが使っています（127.0.0.1）。")
    assert captured.err.count("\n") == 1 and "BOT_PORT" in captured.err
    assert not (env / "var").exists()


def test_a_free_port_has_no_problem():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    assert app.port_in_use("127.0.0.1", port) is None


def test_the_help_is_in_japanese(capsys):
    with pytest.raises(SystemExit) as exit_:
        app.main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith("使い方: python app.py") and "初期データ" in out
