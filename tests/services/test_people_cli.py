"""``python -m services.people``: the same operations as the admin cards, on the app's own store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.people.cli import main
from tests.support import people as fx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The CLI reads DATA_DIR like the app: a fresh SQLite store per test."""
    for name in (
        "AZURE_TABLES_CONNECTION_STRING",
        "GRAPH_TENANT_ID",
        "GRAPH_CLIENT_ID",
        "GRAPH_CLIENT_SECRET",
        "ROSTER_FILE",
        "ORGANISATION_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "data"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_list_grant_revoke_export(capsys, tmp_path):
    code, out, _ = run(capsys, "import-org", str(fx.ORGANISATION_CSV))
    assert (
        code == 0
        and out.startswith("組織を取り込みました: 追加 6件・削除 0件")
        and "健康福祉局/健康部" in out
    )
    code, out, _ = run(capsys, "import-roster", str(fx.ROSTER_CSV))
    assert code == 0 and "新規 6人" in out
    code, out, _ = run(capsys, "import-roster", str(fx.ROSTER_CSV))
    assert code == 0 and "変更はありません（6人）" in out  # idempotent, on SQLite too

    code, out, _ = run(capsys, "list", "--role", "DX PRO")
    assert code == 0 and out.count("\n") == 2 and "健康 花子" in out and "子ども 次郎" in out

    code, out, _ = run(capsys, "grant", fx.STAFF, "dx_pro", "建設局/土木部", "--reason", "新任")
    assert code == 0 and "DX PRO（建設局/土木部）" in out
    code, out, _ = run(capsys, "revoke", fx.STAFF, "DX PRO", "建設局/土木部", "--reason", "異動")
    assert code == 0 and out.strip().endswith("職員")
    code, out, _ = run(
        capsys, "grant", "00000000-0000-4000-8000-000000000099", "管理者", "--name", "新任 管理者"
    )
    assert code == 0 and "管理者" in out

    target = tmp_path / "audit.xlsx"
    code, out, _ = run(
        capsys, "export-audit", "--from", "2020-01-01", "--to", "2099-12-31", "--out", str(target)
    )
    assert code == 0
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    operations = [r[6] for r in rows[1:]]
    # 6 units + 6 people imported, one grant, one revoke, one grant creating a person
    assert len(rows) - 1 == 15 and operations.count("ロール付与") == 2 and operations.count("ロール取消") == 1
    assert f"{len(rows) - 1}件" in out
    assert all(r[2].startswith("CLI（") for r in rows[1:])


def test_errors_name_rows_and_exit_1(capsys, tmp_path):
    run(capsys, "import-org", str(fx.ORGANISATION_CSV))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "オブジェクトID,氏名,局,部,課・室,ロール,ロール対象\nxyz,,財政局,,,職員,\n", encoding="utf-8-sig"
    )
    code, out, err = run(capsys, "import-roster", str(bad))
    assert (
        code == 1
        and "何も変更していません" in err
        and "2行目 「オブジェクトID」" in err
        and "2行目 「氏名」" in err
    )
    code, _, err = run(capsys, "grant", fx.STAFF, "dx_pro", "建設局/土木部")
    assert code == 1 and "名簿にありません" in err
    code, _, err = run(capsys, "sync-graph")
    assert code == 2 and "GRAPH_TENANT_ID" in err


def test_requests_lists_pending_registrations(capsys):
    from services.kernel.settings import Settings
    from services.people.service import PeopleService
    from storage import open_store

    run(capsys, "import-org", str(fx.ORGANISATION_CSV))
    settings = Settings.from_env()
    store = open_store(data_dir=settings.data_dir)
    try:
        people = PeopleService(store, fx.Clock())
        people.request_registration(fx.actor_of(people, fx.UNREGISTERED), "建設局/土木部", "お願いします")
    finally:
        store.close()
    code, out, _ = run(capsys, "requests")
    assert code == 0 and fx.UNREGISTERED in out and "お願いします" in out


def test_it_runs_as_a_module_with_help_in_japanese(data_dir):
    result = subprocess.run(
        [sys.executable, "-m", "services.people", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "import-roster" in result.stdout and "export-audit" in result.stdout
    assert (
        result.stdout.startswith("使い方: python -m services.people")
        and "この説明を表示して終了します" in result.stdout
    )
    assert "usage:" not in result.stdout and "show this help" not in result.stdout


@pytest.mark.parametrize("command", ["import-org", "import-roster"])
def test_a_missing_file_is_one_japanese_line_and_exit_2(capsys, tmp_path, command):
    code, out, err = run(capsys, command, str(tmp_path / "ない.csv"))
    assert code == 2 and out == ""
    assert err == f"エラー: ファイルが見つかりません: {tmp_path / 'ない.csv'}\n"


def test_wrong_usage_is_reported_in_japanese(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grant"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "エラー: 次の引数が必要です: object_id, role" in err and "使い方:" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["requests"],
        ["export-audit", "--from", "2026-01-01", "--to", "2026-01-31", "--out", "a.xlsx"],
    ],
)
def test_reading_a_store_that_does_not_exist_says_so_and_creates_nothing(capsys, data_dir, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.startswith("エラー: 名簿がまだありません") and err.count("\n") == 1
    assert not data_dir.exists()
