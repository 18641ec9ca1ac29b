"""全データ点検 (the linkage audit) in Teams, over HTTP through the whole app: a bureau contact starts
it from the operation card, sends the registry extract and the business records as Teams file
attachments (served by a local stand-in for SharePoint's download URLs), confirms the column mapping,
the run happens in the worker process while a progress card updates in place, and the summary card
offers the Excel report (uploaded to a local OneDrive stand-in) while ① and ② of the inspection
record are filled. Also: a second run while one runs is refused, another section's staff are refused
with nothing stored, and no My Number leaks into logs, the store or any card."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook

from app import RUNTIME_KEY
from bench.audit_data import generate
from bot.file_delivery import FILE_CONSENT
from bot.files import FILE_DOWNLOAD_INFO
from cards import mynumber as op_cards
from cards import mynumber_audit as cards
from dialogs.base import DialogDeps
from dialogs.mynumber import service_for
from services.kernel.privacy import is_valid_my_number
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import Settings
from services.mynumber.audit.engine import Verdict
from services.mynumber.audit.uploads import RUNNING, AuditSession, AuditSessions, UploadArea
from services.mynumber.audit.uploads import TABLE as UPLOADS
from services.mynumber.audit.worker import AuditWorker, RunOutcome, TopItem
from services.mynumber.models import LinkMethod, StepStatus
from tests.support import mynumber as mx
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import action_data, inputs
from tests.support.cards import card_json as text
from tests.support.flows import MEETING_DAY, invoke
from tests.support.leakscan import inputs_dir
from tests.support.onedrive import OneDriveStandIn

REGISTRY_ROWS, RECORD_ROWS = 400, 380


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = inputs_dir(tmp_path_factory.mktemp("audit-data"))  # My Numbers: not scanned as output
    generate(folder, REGISTRY_ROWS, RECORD_ROWS, seed=11)
    return folder


@pytest.fixture(scope="module")
def numbers(generated) -> set[str]:
    """Every valid My Number in the two inputs (what must never leak)."""
    found = set()
    for name in ("registry.csv", "records.csv"):
        with (generated / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if is_valid_my_number(row["個人番号"]):
                    found.add(row["個人番号"])
    assert len(found) > REGISTRY_ROWS // 2
    return found


@pytest.fixture
def clock():
    return fx.Clock(MEETING_DAY)


@pytest.fixture
def uploads(tmp_path) -> Iterator[Path]:
    yield tmp_path / "uploads"
    # what a session left unfinished at the end of a test holds the user's files until the app's
    # next start-up sweep removes them (UploadArea.sweep: tests/test_crash_audit.py): do it now
    shutil.rmtree(tmp_path / "uploads", ignore_errors=True)


@pytest.fixture
def settings(tmp_path, uploads) -> Settings:
    return Settings(
        data_dir=tmp_path,
        mynumber_audit_work_dir=uploads,
        mynumber_audit_progress_seconds=0.2,
        attachment_hosts=("127.0.0.1",),  # the stand-in file server
    )


@pytest.fixture
def store(store, clock):
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    return store


@pytest.fixture
def target(store, clock, settings):
    service = service_for(DialogDeps(store=store, clock=clock, settings=settings))
    [op] = mx.seed_operations(service, [mx.op(mx.TAX, "市民税の課税", (LinkMethod.THREE_OR_FEWER, 250))])
    return op


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


@pytest.fixture
async def onedrive():
    standin = await OneDriveStandIn().start()
    yield standin
    await standin.stop()


@pytest.fixture
def served(files, generated):
    served, hits, base = files
    served["registry.csv"] = (generated / "registry.csv").read_bytes()
    served["records.csv"] = (generated / "records.csv").read_bytes()
    return hits, base


def files_activity(connector, user: str, base: str, names: list[tuple[str, str]]) -> dict:
    """A message with Teams file attachments ((served name, shown name))."""
    activity = personal_message(connector.url, "", user_aad=user)
    activity["attachments"] = [
        {
            "contentType": FILE_DOWNLOAD_INFO,
            "name": shown,
            "content": {"downloadUrl": f"{base}/{served}", "uniqueId": served, "fileType": "csv"},
        }
        for served, shown in names
    ]
    return activity


async def send_files_now(client, connector, user: str, base: str, names: list[tuple[str, str]]) -> dict:
    """Post the files; the card the bot answers with in the same turn."""
    before = len(connector.activities)
    response = await client.post("/api/messages", json=files_activity(connector, user, base, names))
    assert response.status in (200, 201) and len(connector.activities) == before + 1
    return connector.cards()[-1]


async def send_files(client, connector, user: str, base: str, names: list[tuple[str, str]]) -> dict:
    """Post the files: the bot answers 「受け取っています」 at once, receives them in the background,
    then posts the next card, which this returns."""
    receiving = await send_files_now(client, connector, user, base, names)
    assert "ファイルを受け取っています" in text(receiving)
    count = len(connector.activities)
    for _ in range(3000):  # polls the recorded posts
        if len(connector.activities) > count:
            return connector.cards()[-1]
        await asyncio.sleep(0.02)
    raise AssertionError("the files were never received")


def choices(card: dict) -> dict[str, str]:
    """What the mapping card submits when the user keeps the pre-selected values."""
    return {i["id"]: i.get("value", "") for i in inputs(card) if i["type"] == "Input.ChoiceSet"}


def selected(card: dict) -> dict[str, str]:
    """The column each ChoiceSet shows as selected (its choice's title)."""
    out = {}
    for i in inputs(card):
        if i["type"] == "Input.ChoiceSet":
            out[i["id"]] = next((c["title"] for c in i["choices"] if c["value"] == i.get("value", "")), "")
    return out


def value_of(card: dict, input_id: str, title: str) -> str:
    """What the mapping card submits when the user picks the column ``title``."""
    [choice_set] = [i for i in inputs(card) if i["id"] == input_id]
    return next(c["value"] for c in choice_set["choices"] if c["title"] == title)


async def start(client, connector, target) -> dict:
    op_card = await invoke(
        client,
        connector,
        fx.CONTACT,
        op_cards.OPERATION_VERB,
        {"bureau": target.bureau, "operation": target.id},
    )
    return await invoke(
        client, connector, fx.CONTACT, cards.START_VERB, action_data(op_card, cards.START_VERB)
    )


async def finished(connector, timeout: float = 180) -> dict:
    """The card the progress card became at the end (polls the recorded updates)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for update in connector.updates:
            for attachment in update.get("attachments") or []:
                content = attachment.get("content") or {}
                if "点検が終わりました" in text(content) or "点検できませんでした" in text(content):
                    return content
        await asyncio.sleep(0.1)
    raise AssertionError("the audit did not finish")


def every_card(connector, responses: list[dict]) -> str:
    posted = [a.get("content") for act in connector.activities for a in act.get("attachments") or []]
    updated = [a.get("content") for act in connector.updates for a in act.get("attachments") or []]
    texts = [act.get("text") or "" for act in connector.activities]
    return json.dumps([posted, updated, texts, responses], ensure_ascii=False)


def stored_text(store) -> str:
    """Every stored entity (keys and properties) as one text."""
    rows = [
        [table, *key, props]
        for table, entities in store.snapshot().items()
        for key, (props, _) in entities.items()
    ]
    return json.dumps(rows, ensure_ascii=False, default=str)


def leaked(blob: str, numbers: set[str]) -> list[str]:
    return [n for n in numbers if n in blob]


# --- the whole flow ---------------------------------------------------------------------------------


async def test_a_contact_audits_an_operation_from_teams_and_gets_the_summary_the_report_and_the_record(
    client, connector, served, target, store, clock, settings, uploads, onedrive, numbers, caplog
):
    caplog.set_level(logging.DEBUG)
    hits, base = served
    responses = []
    waiting = await start(client, connector, target)
    responses.append(waiting)
    assert "住基データ" in text(waiting) and "未受信" in text(waiting)
    assert len(store.snapshot().get(UPLOADS, {})) == 1

    # the business records first, then the registry under a name that says so
    first = await send_files(client, connector, fx.CONTACT, base, [("records.csv", "業務データ.csv")])
    assert "業務データ.csv" in text(first) and "未受信" in text(first)
    mapping = await send_files(client, connector, fx.CONTACT, base, [("registry.csv", "住基抽出.csv")])
    responses += [first, mapping]
    assert hits == ["records.csv", "registry.csv"]  # each downloaded once
    assert "列の対応を確認してください" in text(mapping)
    picked = choices(mapping)
    shown = selected(mapping)
    assert shown["registry__number"] == "個人番号" and shown["records__record_id"] == "宛名番号"
    assert shown["records__kana"] == "カナ氏名" and shown["registry__status"] == "住民状態"
    [folder] = list(uploads.iterdir())
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in folder.iterdir()) == ["records.csv", "registry.csv"]

    # an unset required column is shown in place, choices kept, nothing started
    invalid = await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.RUN_VERB,
        {**action_data(mapping, cards.RUN_VERB), **picked, "records__birth": ""},
    )
    responses.append(invalid)
    assert "生年月日の列を選んでください" in text(invalid)
    assert (
        selected(invalid)["records__name"] == "氏名" and selected(invalid)["records__birth"] == "（使わない）"
    )
    assert client.app[RUNTIME_KEY].audit.worker.running is None

    started = await invoke(
        client, connector, fx.CONTACT, cards.RUN_VERB, {**action_data(mapping, cards.RUN_VERB), **picked}
    )
    responses.append(started)
    assert "点検を始めました" in text(started)
    progress = connector.cards()[-1]
    assert "点検中です" in text(progress)
    summary = await finished(connector)
    responses.append(summary)
    assert "点検が終わりました" in text(summary), text(summary)
    assert f"{RECORD_ROWS}件（住基 {REGISTRY_ROWS}件と照合）" in text(summary)
    assert "誤紐付けの疑い" in text(summary) and "********" in text(summary)
    assert "① 全データ点検" in text(summary) and "に反映しました" in text(summary)
    run_id = action_data(summary, cards.REPORT_VERB)["run"]

    # ① and ② of the inspection record, through the service (audited)
    service = service_for(DialogDeps(store=store, clock=clock, settings=settings))
    op = service.operation(mx.ADMIN.person, target.bureau, target.id)
    assert op.full_check.in_scope == op.full_check.checked == RECORD_ROWS
    assert op.full_check.status is StepStatus.DONE and op.full_check.audit.run_id == run_id
    assert op.mislinks.found == op.mislinks.audit.found and op.mislinks.found > 0
    assert f"{op.mislinks.found:,}件" in text(summary)
    trail = stored_text(store)
    assert f"紐付け監査 {run_id}" in trail

    # the files are gone and the session with them
    assert list(uploads.iterdir()) == []
    assert store.snapshot().get(UPLOADS, {}) == {}

    # the report, through file consent, to the OneDrive stand-in
    offered = await invoke(
        client, connector, fx.CONTACT, cards.REPORT_VERB, action_data(summary, cards.REPORT_VERB)
    )
    responses.append(offered)
    [consent] = [
        a
        for act in connector.activities
        for a in act.get("attachments") or []
        if a.get("contentType") == FILE_CONSENT
    ]
    assert consent["name"].startswith("全データ点検_市民税の課税_") and run_id in consent["name"]
    accept = personal_message(connector.url, "", user_aad=fx.CONTACT)
    accept.pop("text")
    accept.update(
        type="invoke",
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": consent["content"]["acceptContext"],
            "uploadInfo": {
                "name": consent["name"],
                "uploadUrl": onedrive.session_url("report"),
                "fileType": "xlsx",
                "uniqueId": "uid-report",
                "contentUrl": "https://city.sharepoint.com/personal/u/Documents/report.xlsx",
            },
        },
    )
    assert (await client.post("/api/messages", json=accept)).status == 200
    assert not onedrive.problems
    workbook = load_workbook(io.BytesIO(onedrive.bytes_of("report")))
    assert workbook.sheetnames == [
        "概要",
        "誤紐付けの疑い",
        "チェックデジット不正",
        "住基に存在しない",
        "要確認",
        "候補",
        "設定",
    ]

    # privacy: no number in any card, log line, stored entity; masked ones only
    assert leaked(every_card(connector, responses), numbers) == []
    assert leaked(caplog.text, numbers) == []
    assert "住基抽出.csv" in caplog.text  # names are logged
    assert leaked(stored_text(store), numbers) == []
    report_text = json.dumps(
        [[c for c in row] for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)],
        ensure_ascii=False,
        default=str,
    )
    assert leaked(report_text, numbers) == []


async def test_a_run_with_unreadable_files_says_why_and_deletes_them(
    client, connector, files, target, store, uploads
):
    served, _, base = files
    served["a.csv"] = "個人番号,氏名,生年月日,性別,住所\n".encode()  # a header and no rows
    served["b.csv"] = "宛名番号,個人番号,氏名,生年月日,性別,住所\n".encode()
    await start(client, connector, target)
    mapping = await send_files(
        client, connector, fx.CONTACT, base, [("a.csv", "住基.csv"), ("b.csv", "業務.csv")]
    )
    assert "列の対応を確認してください" in text(mapping)
    await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.RUN_VERB,
        {**action_data(mapping, cards.RUN_VERB), **choices(mapping)},
    )
    card = await finished(connector)
    assert "点検できませんでした" in text(card) and "データの行がありません" in text(card)
    assert list(uploads.iterdir()) == []
    assert store.snapshot().get(UPLOADS, {}) == {}


# --- refusals -----------------------------------------------------------------------------------------


async def test_files_sent_while_another_audit_runs_are_politely_refused_and_not_downloaded(
    client, connector, served, target, uploads
):
    hits, base = served
    await start(client, connector, target)
    worker = client.app[RUNTIME_KEY].audit.worker
    run_id = worker.claim()  # somebody else's run
    try:
        card = await send_files_now(client, connector, fx.CONTACT, base, [("registry.csv", "住基.csv")])
    finally:
        worker.release(run_id)
    assert "ほかの点検を実行中です" in text(card)
    assert hits == [] and not uploads.exists()


async def test_confirming_while_another_audit_runs_is_refused_in_place(client, connector, served, target):
    _, base = served
    await start(client, connector, target)
    mapping = await send_files(
        client, connector, fx.CONTACT, base, [("registry.csv", "住基.csv"), ("records.csv", "業務.csv")]
    )
    worker = client.app[RUNTIME_KEY].audit.worker
    run_id = worker.claim()
    try:
        card = await invoke(
            client,
            connector,
            fx.CONTACT,
            cards.RUN_VERB,
            {**action_data(mapping, cards.RUN_VERB), **choices(mapping)},
        )
    finally:
        worker.release(run_id)
    assert "ほかの点検を実行中です" in text(card) and "列の対応を確認してください" in text(card)
    assert choices(card) == choices(mapping)


@pytest.mark.parametrize("user", [fx.DX_HEALTH, fx.STAFF])
async def test_staff_of_another_section_are_refused_with_nothing_stored(
    client, connector, served, target, store, user, uploads
):
    hits, base = served
    card = await invoke(
        client, connector, user, cards.START_VERB, {"bureau": target.bureau, "operation": target.id}
    )
    assert "操作できません" in text(card) or "できません" in text(card)
    assert store.snapshot().get(UPLOADS, {}) == {}
    # their files are not taken for an audit (nor downloaded: they are not administrators)
    reply = await send_files_now(client, connector, user, base, [("registry.csv", "住基.csv")])
    assert "列の対応" not in text(reply)
    assert hits == [] and not uploads.exists()


async def test_the_swap_button_exchanges_the_two_files(client, connector, served, target):
    _, base = served
    await start(client, connector, target)
    mapping = await send_files(
        client, connector, fx.CONTACT, base, [("records.csv", "a.csv"), ("registry.csv", "b.csv")]
    )
    assert "住基データ: a.csv" in text(mapping)
    swapped = await invoke(
        client, connector, fx.CONTACT, cards.SWAP_VERB, action_data(mapping, cards.SWAP_VERB)
    )
    assert "住基データ: b.csv" in text(swapped) and "業務データ: a.csv" in text(swapped)
    assert selected(swapped)["records__record_id"] == "宛名番号"
    cancelled = await invoke(
        client, connector, fx.CONTACT, cards.CANCEL_VERB, action_data(swapped, cards.CANCEL_VERB)
    )
    assert "取りやめました" in text(cancelled)


# --- the report: only its owner, only while it is kept in memory ----------------------------------------


async def test_the_report_is_offered_to_its_owner_only_and_says_why_once_it_is_gone(
    client, connector, target, onedrive, store
):
    vault = client.app[RUNTIME_KEY].audit.vault
    vault.put("run1", fx.CONTACT, "全データ点検_テスト.xlsx", b"PK-report")
    data = {"bureau": target.bureau, "operation": target.id, "run": "run1"}
    somebody_else = await invoke(client, connector, fx.ADMIN, cards.REPORT_VERB, data)
    assert "Excel を受け取れません" in text(somebody_else) and "保存期間" in text(somebody_else)
    assert not [a for act in connector.activities for a in act.get("attachments") or []]

    await invoke(client, connector, fx.CONTACT, cards.REPORT_VERB, data)
    [consent] = [
        a
        for act in connector.activities
        for a in act.get("attachments") or []
        if a.get("contentType") == FILE_CONSENT
    ]
    assert consent["content"]["sizeInBytes"] == len(b"PK-report")
    vault.discard("run1")  # expired, or the bot restarted
    accept = personal_message(connector.url, "", user_aad=fx.CONTACT)
    accept.pop("text")
    accept.update(
        type="invoke",
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": consent["content"]["acceptContext"],
            "uploadInfo": {
                "name": consent["name"],
                "uploadUrl": onedrive.session_url("gone"),
                "fileType": "xlsx",
                "uniqueId": "u",
                "contentUrl": "https://city.sharepoint.com/x.xlsx",
            },
        },
    )
    before = len(connector.activities)
    assert (await client.post("/api/messages", json=accept)).status == 200
    [reply] = connector.activities[before:]
    assert "保存期間" in reply["text"] and "もう一度「全データ点検」" in reply["text"]
    assert "gone" not in onedrive.uploads
    assert store.snapshot().get("FileOffers") is None  # the request is not kept for a file that is gone


# --- the progress card updates in place ------------------------------------------------------------------


class SlowWorker(AuditWorker):
    """Reports a stage, then waits until the test lets it finish (no real audit)."""

    def __init__(self) -> None:
        super().__init__()
        self.release_run = asyncio.Event()

    async def run(self, run_id, registry, records, workdir, **_: object) -> RunOutcome:
        try:
            (workdir / "progress.json").write_text(
                json.dumps({"stage": "正規化と照合", "done": 0.5}), encoding="utf-8"
            )
            await self.release_run.wait()
            top = (TopItem("A0000007", Verdict.MISLINK.value, "生年月日", "********1234"),)
            counts = {Verdict.MATCH.value: 10, Verdict.MISLINK.value: 2}
            return RunOutcome(run_id, counts, top, b"PK-report", records=12, registry_rows=20)
        finally:
            self.release(run_id)


async def test_the_progress_card_is_updated_in_place_until_it_becomes_the_summary(
    client, connector, served, target, uploads
):
    _, base = served
    worker = SlowWorker()
    client.app[RUNTIME_KEY].audit.worker = worker
    await start(client, connector, target)
    mapping = await send_files(
        client, connector, fx.CONTACT, base, [("registry.csv", "住基.csv"), ("records.csv", "業務.csv")]
    )
    await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.RUN_VERB,
        {**action_data(mapping, cards.RUN_VERB), **choices(mapping)},
    )
    progress_id = f"reply-{len(connector.activities)}"  # the connector numbers the posts in order
    assert "点検中です" in text(connector.cards()[-1])
    for _ in range(3000):  # polls; the worker waits for the test, so the update must come
        if any("正規化と照合" in text(u) and "50%" in text(u) for u in connector.updates):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the progress card was never updated")
    assert worker.running is not None  # one run at a time: a second one now meets AuditBusy
    worker.release_run.set()
    summary = await finished(connector)
    assert (
        "点検が終わりました" in text(summary)
        and "A0000007" in text(summary)
        and "********1234" in text(summary)
    )
    assert {u["_activity_id"] for u in connector.updates} == {progress_id}
    assert worker.running is None and list(uploads.iterdir()) == []


# --- sessions left behind ------------------------------------------------------------------------------


def left_behind(store, clock, uploads, target, state: str) -> Path:
    """A session (and its folder with a file) as a previous process or an absent user left it."""
    area = UploadArea(uploads)
    folder = area.new_folder()
    (folder / "registry.csv").write_text("個人番号\n")
    sessions = AuditSessions(store, clock, timedelta(minutes=60))
    sessions.save(AuditSession(fx.CONTACT, target.bureau, target.id, state, str(folder), run_id="old-run"))
    return folder


async def test_a_run_interrupted_by_a_restart_does_not_block_a_new_audit(
    client, connector, target, store, clock, uploads
):
    folder = left_behind(store, clock, uploads, target, RUNNING)
    card = await start(client, connector, target)
    assert "未受信" in text(card) and "点検中" not in text(card)
    assert not folder.exists()


async def test_files_after_the_session_expired_are_not_taken_and_its_folder_is_removed(
    client, connector, served, target, store, clock, uploads
):
    hits, base = served
    folder = left_behind(store, clock, uploads, target, "waiting")
    clock.now += timedelta(minutes=61)
    reply = await send_files_now(client, connector, fx.CONTACT, base, [("registry.csv", "住基.csv")])
    assert "受け取っています" not in text(reply) and "列の対応" not in text(reply)
    assert hits == [] and not folder.exists() and store.snapshot().get(UPLOADS) is None


async def test_cancelling_while_the_files_download_removes_them_and_nothing_comes_back(
    client, connector, target, store, uploads, generated
):
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=(generated / "registry.csv").read_bytes())

    app = web.Application()
    app.router.add_get("/slow/{name}", slow)
    server = TestServer(app)
    await server.start_server()
    try:
        waiting = await start(client, connector, target)
        receiving = await send_files_now(
            client, connector, fx.CONTACT, str(server.make_url("/slow")), [("registry.csv", "住基.csv")]
        )
        assert "ファイルを受け取っています" in text(receiving)
        for _ in range(1000):  # the download starts in the background: wait for its folder
            if uploads.exists() and any(uploads.iterdir()):
                break
            await asyncio.sleep(0.01)
        [folder] = list(uploads.iterdir())
        cancelled = await invoke(
            client, connector, fx.CONTACT, cards.CANCEL_VERB, action_data(waiting, cards.CANCEL_VERB)
        )
        assert "取りやめました" in text(cancelled)
        assert not folder.exists() and store.snapshot().get(UPLOADS) is None
        posts = len(connector.activities)
        release.set()
        for task in list(client.app[RUNTIME_KEY].audit.tasks):
            await task
        assert len(connector.activities) == posts  # nothing posted for a cancelled session
        assert list(uploads.iterdir()) == [] and store.snapshot().get(UPLOADS) is None
    finally:
        await server.close()
