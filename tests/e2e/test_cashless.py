"""キャッシュレス end to end, through the Agents Playground's API (one stack for the module).

The module runs its own bot (fresh store, seed) with a roster in which the Playground user 財政 担当
(``contact``) is the bureau contact of 建設局, the bureau of 目的外使用料（土木監理課）; the
Playground starts as that user. 一般 職員 (``staff``) stays plain staff.
"""

from __future__ import annotations

import pytest

from cards import cashless as cards
from tests.e2e.conftest import running_e2e
from tests.support.cards import action_data, of_type
from tests.support.cards import card_json as text
from tests.support.people import ORGANISATION_CSV, ROSTER_CSV

pytestmark = pytest.mark.e2e

CLOCK = "2023-09-20T10:00:00+09:00"
CONTACT_ID = "00000000-0000-4000-8000-000000000005"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    root = tmp_path_factory.mktemp("e2e-cashless")
    lines = ROSTER_CSV.read_text(encoding="utf-8").splitlines()
    roster = [
        line if not line.startswith(CONTACT_ID) else f"{CONTACT_ID},財政 担当,建設局,土木部,,局担当,建設局"
        for line in lines
    ]
    assert roster != lines
    roster_file = root / "roster.csv"
    roster_file.write_text("\n".join(roster) + "\n", encoding="utf-8")
    with running_e2e(
        root,
        pytestconfig,
        current_user="contact",
        bot_env={
            "BOT_CLOCK_START": CLOCK,
            "ROSTER_FILE": str(roster_file),
            "ORGANISATION_FILE": str(ORGANISATION_CSV),
        },
    ) as own:
        yield own


def tables(card: dict) -> list[dict]:
    return [t for t in of_type(card, "Table") if t["type"] == "Table"]


def counts(card: dict) -> dict[str, dict[str, str]]:
    """The overview table as {channel: {status: count}}."""
    [table] = [t for t in tables(card) if t["rows"][0]["cells"][0]["items"][0]["text"] == "区分"]
    header = [c["items"][0]["text"] for c in table["rows"][0]["cells"]]
    return {
        r["cells"][0]["items"][0]["text"]: dict(
            zip(header[1:], [c["items"][0]["text"] for c in r["cells"][1:]], strict=True)
        )
        for r in table["rows"][1:]
    }


def count(card: dict, channel: str, status: str) -> str:
    """The overview table's cell for ``channel`` × ``status``."""
    [table] = [t for t in tables(card) if t["rows"][0]["cells"][0]["items"][0]["text"] == "区分"]
    header = [c["items"][0]["text"] for c in table["rows"][0]["cells"]]
    row = next(r for r in table["rows"] if r["cells"][0]["items"][0]["text"] == channel)
    return row["cells"][header.index(status)]["items"][0]["text"]


def test_a_bureau_contact_moves_a_receivable_to_planned_and_the_overview_updates(api):
    stream = api.stream()
    api.post_message("キャッシュレス")
    overview = stream.next(containing="区分別・導入状況別の債権数")
    assert (
        count(overview.card, "納付書", "導入予定") == "0" and count(overview.card, "納付書", "未着手") == "7"
    )
    choice = next(i for i in of_type(overview.card, "Input.ChoiceSet") if i["id"] == cards.RECEIVABLE_INPUT)
    assert [c["title"] for c in choice["choices"]] == ["目的外使用料（未着手）"]  # what this contact may open

    form = api.execute(overview, cards.UPDATE_VERB, {cards.RECEIVABLE_INPUT: choice["value"]})["value"]
    assert "導入状況の更新: 目的外使用料" in text(form)
    data = {
        **action_data(form, cards.SUBMIT_VERB),
        "status": "PLANNED",
        "planned_on": "2024-04-01",
        "cases": "12000",
        "amount": "36000000",
        "methods": "",
        "reason": "事業者との調整が済んだため",
    }
    no_date = api.execute(overview, cards.SUBMIT_VERB, {**data, "planned_on": ""})["value"]
    assert "導入予定日を入力してください" in text(no_date)  # in place, values kept
    assert next(i for i in of_type(no_date, "Input.Number") if i["id"] == "cases")["value"] == 12000

    saved = api.execute(overview, cards.SUBMIT_VERB, data)["value"]
    assert "保存しました: 目的外使用料" in text(saved) and "2024年4月1日（月）" in text(saved)
    again = api.execute(overview, cards.SUBMIT_VERB, data)["value"]
    assert "すでに保存されています" in text(again)  # the same card twice is saved once

    after = api.execute(overview, cards.OVERVIEW_VERB)["value"]
    assert count(after, "納付書", "導入予定") == "1" and count(after, "納付書", "未着手") == "6"
    assert "100.0%" in text(after) and "1件の債権で計算" in text(after) and "未入力の 21件" in text(after)
    detail = api.execute(overview, cards.DETAIL_VERB, {"receivable": choice["value"]})["value"]
    [history] = [t for t in tables(detail) if t["rows"][0]["cells"][0]["items"][0]["text"] == "日時"]
    assert len(history["rows"]) == 2  # one change of status recorded once, not twice


def test_the_contact_records_the_introduction_in_the_browser(playground):
    from playwright.sync_api import expect

    playground.send("キャッシュレス")
    card = playground.wait_for_card("区分別・導入状況別の債権数")
    playground.click_card_button("導入状況を更新する", card)
    expect(card).to_contain_text("導入状況の更新: 目的外使用料")
    playground.choose("導入状況", "導入済", card)
    playground.fill_number("年間件数（分からなければ空欄。0 とは別です）", 15000, card)
    playground.click_card_button("送信する", card)
    expect(card).to_contain_text("保存しました: 目的外使用料")
    expect(card).to_contain_text("15,000件")
    playground.click_card_button("全体の状況", card)
    expect(card).to_contain_text("区分別・導入状況別の債権数")


def test_a_staff_member_is_refused_and_nothing_is_saved(api, stack):
    api.switch_user("staff")
    stream = api.stream()
    api.post_message("キャッシュレス")
    overview = stream.next(containing="区分別・導入状況別の債権数")
    assert not [i for i in of_type(overview.card, "Input.ChoiceSet") if i["id"] == cards.RECEIVABLE_INPUT]
    before = counts(overview.card)
    # a card forwarded from the contact: 目的外使用料 is r04 (the seed's 4th receivable)
    refused = api.execute(
        overview,
        cards.SUBMIT_VERB,
        {"receivable": "r04", "etag": "", "status": "NOT_STARTED", "reason": "やり直し"},
    )["value"]
    assert "操作できません" in text(refused)
    refused_form = api.execute(overview, cards.UPDATE_VERB, {"receivable": "r04"})["value"]
    assert "操作できません" in text(refused_form)
    after = api.execute(overview, cards.OVERVIEW_VERB)["value"]
    assert counts(after) == before and counts(after)["納付書"]["未着手"] == "6"  # nothing saved
