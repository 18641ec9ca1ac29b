"""The pieces of file delivery in Teams: the chunked upload against the OneDrive stand-in, and the
stored requests (one partition per person, expiry). The whole flow over HTTP is in
tests/http/test_file_delivery_flows.py."""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from bot.file_delivery import UPLOAD_UNIT, FileRequest, FileRequests, UploadRefused, upload
from services.kernel.settings import TIMEZONE
from tests.fakes import InMemoryTableStore
from tests.support.onedrive import OneDriveStandIn


@pytest.fixture
async def onedrive():
    standin = await OneDriveStandIn().start()
    yield standin
    await standin.stop()


def big_workbook(rows: int) -> bytes:
    """An .xlsx of random text (it hardly compresses), so it needs several chunks."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["番号", "値"])
    for n in range(rows):
        sheet.append([n, secrets.token_urlsafe(36)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_a_file_larger_than_a_chunk_goes_in_320_kib_chunks_and_arrives_whole(onedrive):
    data = big_workbook(14_000)
    assert len(data) > 2 * UPLOAD_UNIT
    await upload(onedrive.session_url("big"), data, chunk_bytes=UPLOAD_UNIT)
    chunks = onedrive.uploads["big"].chunks
    assert onedrive.problems == []
    assert len(chunks) == -(-len(data) // UPLOAD_UNIT)
    assert chunks[0]["range"] == f"bytes 0-{UPLOAD_UNIT - 1}/{len(data)}" and chunks[0]["length"] == str(
        UPLOAD_UNIT
    )
    assert chunks[-1]["range"] == f"bytes {(len(chunks) - 1) * UPLOAD_UNIT}-{len(data) - 1}/{len(data)}"
    received = onedrive.bytes_of("big")
    assert received == data
    sheet = load_workbook(io.BytesIO(received)).active
    assert sheet["A1"].value == "番号" and sheet["A14001"].value == 13_999


async def test_a_small_file_is_one_chunk(onedrive):
    await upload(onedrive.session_url("small"), b"x" * 1000)
    assert onedrive.uploads["small"].chunks == [{"range": "bytes 0-999/1000", "length": "1000", "size": 1000}]


async def test_a_refused_chunk_stops_the_upload(onedrive):
    onedrive.refuse["full"] = 507
    with pytest.raises(UploadRefused) as refused:
        await upload(onedrive.session_url("full"), b"x" * (UPLOAD_UNIT + 1), chunk_bytes=UPLOAD_UNIT)
    assert refused.value.status == 507 and len(onedrive.uploads["full"].chunks) == 1


@pytest.mark.parametrize(
    "url", ["http://files.example.com/upload/1", "ftp://127.0.0.1/x", "file:///etc/passwd", ""]
)
async def test_only_https_upload_urls_are_used_outside_loopback(url):
    with pytest.raises(UploadRefused):
        await upload(url, b"data")


async def test_with_an_app_id_even_loopback_must_be_https(onedrive):
    with pytest.raises(UploadRefused):
        await upload(onedrive.session_url("plain"), b"data", loopback_http=False)
    assert "plain" not in onedrive.uploads


@pytest.mark.parametrize("chunk", [100_000, 0, 200 * UPLOAD_UNIT])
async def test_a_chunk_size_outside_the_rules_is_refused(onedrive, chunk):
    with pytest.raises(ValueError):
        await upload(onedrive.session_url("x"), b"data", chunk_bytes=chunk)
    assert "x" not in onedrive.uploads


def request(actor: str, now: datetime, hours: int = 24) -> FileRequest:
    return FileRequest(
        "r" + secrets.token_hex(8),
        "online_procedures.table",
        {"view": "live"},
        actor,
        "堺 太郎",
        "表.xlsx",
        "説明",
        1234,
        now,
        now + timedelta(hours=hours),
    )


def test_a_request_belongs_to_its_person_and_expires():
    now = [datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE)]
    requests = FileRequests(InMemoryTableStore(), lambda: now[0])
    mine = request("aad-1", now[0])
    requests.add(mine)
    assert requests.get("aad-1", mine.request_id) == mine
    assert requests.get("aad-2", mine.request_id) is None  # somebody else's answer finds nothing
    assert requests.get("aad-1", "no/such#id") is None
    now[0] += timedelta(hours=24)
    assert requests.get("aad-1", mine.request_id) is None
    now[0] -= timedelta(hours=24)
    assert requests.get("aad-1", mine.request_id) is None  # the expired request was deleted


def test_a_new_offer_purges_the_persons_expired_requests():
    now = datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE)
    store = InMemoryTableStore()
    requests = FileRequests(store, lambda: now)
    old, fresh, other = (
        request("aad-1", now, hours=-1),
        request("aad-1", now),
        request("aad-2", now, hours=-1),
    )
    for r in (old, fresh, other):
        requests.add(r)
    assert requests.purge_expired("aad-1") == 1
    rows = store.snapshot()["FileOffers"]
    assert {key[1] for key in rows} == {fresh.request_id, other.request_id}


def test_every_export_the_cards_offer_is_registered_once():
    from bot.runtime import all_exports
    from dialogs import online_procedures, people

    exports = all_exports()
    assert {online_procedures.TABLE_EXPORT, people.AUDIT_EXPORT, people.ROSTER_EXPORT} <= set(exports)
    assert exports[online_procedures.TABLE_EXPORT] is online_procedures.export_table
