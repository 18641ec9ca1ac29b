"""Broken files sent as Teams attachments, through the whole app (issue 18 §2): the refusal reaches the
user as a Japanese card naming what is wrong, and nothing is written (every table except those any
turn writes: conversation references and dialog state). The same files, import by import, are in
tests/services/test_broken_imports.py; here, one of each kind through each programme's file route."""

from __future__ import annotations

import pytest

from services.people.identity import Actor, Person, Role, RoleGrant
from tests.services import broken_files as bf
from tests.services import test_broken_imports as imports
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import card_json as text
from tests.support.flows import MEETING_DAY, seeded

NEW_PERSON = "00000000-0000-4000-8000-000000000077"


@pytest.fixture
def store(store):
    return seeded(store)


@pytest.fixture
def clock():
    return fx.Clock(MEETING_DAY)


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


@pytest.fixture(scope="module")
def big() -> dict[str, bytes]:
    return {
        "fifty": bf.fifty_mb_xlsx(),
        "bomb": bf.zip_bomb_xlsx(),
        "million": bf.million_rows_xlsx(),
    }


def attachment(connector, base: str, name: str, user: str) -> dict:
    activity = personal_message(connector.url, "", user_aad=user)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": name,
            "content": {
                "downloadUrl": f"{base}/{name}",
                "uniqueId": "x",
                "fileType": name.rsplit(".", 1)[-1],
            },
        }
    ]
    return activity


async def turn(client, connector, activity: dict) -> str:
    before = len(connector.cards())
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    cards = connector.cards()[before:]
    assert cards, "no card came back"
    return text(cards[-1])


async def per_turn_tables(client, connector, store, user: str) -> set[str]:
    """The tables a plain message writes (references, dialog state): left out of "nothing written"."""
    await turn(client, connector, personal_message(connector.url, "メニュー", user_aad=user))
    first = store.snapshot()
    await turn(client, connector, personal_message(connector.url, "メニュー", user_aad=user))
    second = store.snapshot()
    return {t for t in set(first) | set(second) if first.get(t) != second.get(t)}


def roster_rows() -> list[list[str]]:
    return imports._roster_rows()


def roster_xlsx() -> bytes:
    return bf.xlsx(roster_rows())


def _cases(big: dict[str, bytes]) -> list[tuple[str, str, bytes, str, str]]:
    """(case, user, file, name, phrase of the refusal)"""
    return [
        ("pdf_named_xlsx", fx.ADMIN, bf.PDF, "名簿.xlsx", "PDF"),
        ("word_document", fx.ADMIN, bf.docx(), "名簿.xlsx", "Word"),
        ("utf16_text", fx.ADMIN, bf.utf16(roster_rows()), "名簿.csv", "UTF-16"),
        (
            "utf8_bom_then_shift_jis",
            fx.ADMIN,
            bf.bom_then_shift_jis(roster_rows()),
            "名簿.csv",
            "UTF-8 として読めない",
        ),
        ("roster_merged", fx.ADMIN, bf.merged(roster_xlsx(), 0, "C2:C3"), "名簿.xlsx", "結合"),
        ("roster_hidden_sheet", fx.ADMIN, bf.hidden(roster_xlsx(), 0), "名簿.xlsx", "非表示"),
        (
            "roster_formula_never_calculated",
            fx.ADMIN,
            bf.with_formula(roster_xlsx(), 0, "B7", '"一般 "&"職員二"', None),
            "名簿.xlsx",
            "計算結果が保存されていません",
        ),
        ("fifty_mb", fx.ADMIN, big["fifty"], "名簿.xlsx", "大きすぎます"),
        ("zip_bomb", fx.ADMIN, big["bomb"], "名簿.xlsx", "中身が大きすぎます"),
        ("million_rows", fx.ADMIN, big["million"], "名簿.xlsx", "行が多すぎます"),
        (
            "online_procedures_merged",
            fx.ADMIN,
            bf.merged(imports.online_procedures_env().valid_xlsx, 0, "A6:A7"),
            "オンライン化.xlsx",
            "結合",
        ),
        (
            "standardization_hidden_sheet",
            fx.ADMIN,
            bf.hidden(imports.standardization_env().valid_xlsx, imports.SHEET_SYSTEMS),
            "標準化.xlsx",
            "非表示",
        ),
        (
            "cashless_formula_never_calculated",
            fx.ADMIN,
            bf.with_formula(imports.indicator_env().valid_xlsx, 0, "C2", "500*2", None),
            "決済.xlsx",
            "計算結果が保存されていません",
        ),
        (
            "mynumber_merged",
            fx.ADMIN,
            bf.merged(imports.mynumber_env().valid_xlsx, 0, "A2:A3"),
            "総点検.xlsx",
            "結合",
        ),
        (
            "classes_from_a_partner_with_an_error_value",
            fx.CONTACT,
            bf.with_formula(imports.classes_env().valid_xlsx, 0, "G2", "6*2", "#REF!"),
            "教室.xlsx",
            "エラー（#REF!）",
        ),
    ]


CASE_NAMES = [
    "pdf_named_xlsx",
    "word_document",
    "utf16_text",
    "utf8_bom_then_shift_jis",
    "roster_merged",
    "roster_hidden_sheet",
    "roster_formula_never_calculated",
    "fifty_mb",
    "zip_bomb",
    "million_rows",
    "online_procedures_merged",
    "standardization_hidden_sheet",
    "cashless_formula_never_calculated",
    "mynumber_merged",
    "classes_from_a_partner_with_an_error_value",
]


@pytest.mark.parametrize("case", CASE_NAMES)
async def test_a_broken_attachment_gets_a_japanese_refusal_and_writes_nothing(
    client, connector, files, store, clock, big, case
):
    from services.digital_divide.service import DigitalDivideService

    setup = Actor(Person("setup-admin", "準備", grants=(RoleGrant(Role.ADMIN),)), "setup")
    DigitalDivideService(store, clock).add_contact(setup, "大学", fx.CONTACT, "財政 担当")
    _name, user, data, filename, phrase = next(c for c in _cases(big) if c[0] == case)
    served, hits, base = files
    served[filename] = data
    if case.startswith("standardization"):  # in use: its first read stores the seed's step list
        await turn(client, connector, personal_message(connector.url, "標準化", user_aad=user))
    volatile = await per_turn_tables(client, connector, store, user)
    before = {t: rows for t, rows in store.snapshot().items() if t not in volatile}
    card = await turn(client, connector, attachment(connector, base, filename, user))
    assert phrase in card, card
    assert any(w in card for w in ("取り込めません", "取り込みませんでした", "大きすぎます")), card
    assert {t: rows for t, rows in store.snapshot().items() if t not in volatile} == before
    assert hits == [filename]  # downloaded once


async def test_a_shift_jis_roster_is_read_through_the_bot(client, connector, files):
    served, _hits, base = files
    rows = [*roster_rows(), [NEW_PERSON, "新規 七子", "建設局", "土木部", "", "DX PRO", ""]]
    served["名簿.csv"] = bf.csv_bytes(rows, "cp932")
    card = await turn(client, connector, attachment(connector, base, "名簿.csv", fx.ADMIN))
    assert "名簿を取り込みました" in card and "新規 1人" in card, card
