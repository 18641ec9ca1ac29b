"""Proactive cards: alerts say why and what next and can be snoozed; digests stay under the
message size limit for the largest bureau (seed data plus synthetic procedures) and the office."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cards.common import MAX_CARD_BYTES, card_size_bytes
from cards.proactive import (
    SNOOZE_INPUT,
    SNOOZE_VERB,
    alert_card,
    digest_card,
    digest_summary,
    with_snooze,
)
from services.kernel.calendar import JST
from services.proactive.digest import (
    DeliveryProblem,
    InactiveConversation,
    StatusLevel,
    manager_digest,
    office_digest,
)
from tests.support.cards import card_json as text_of
from tests.support.cards import inputs
from tests.support.proactive import (
    INFOS,
    SeedOnlineProceduresStatus,
    delay_alert,
    largest_bureau,
    seed_bureaus,
)

TODAY = date(2026, 7, 13)


def test_an_alert_says_why_and_what_next_and_offers_a_snooze():
    card = alert_card(
        delay_alert(), today=TODAY, where="財政局の DX PRO チャネル", programme_title="行政手続きオンライン化"
    )
    text = text_of(card)
    assert "この通知が届いた理由" in text and "締切から5営業日" in text and "財政局の DX PRO チャネル" in text
    assert "次にしていただくこと" in text and "実績を入力して提出" in text
    [date_input] = inputs(card)
    assert date_input["type"] == "Input.Date" and date_input["id"] == SNOOZE_INPUT
    assert date_input["min"] == "2026-07-14" and date_input["max"] == "2026-10-11"
    assert SNOOZE_VERB in text and "online_procedures.open" in text


def test_an_escalation_says_it_went_to_the_managers():
    text = text_of(alert_card(delay_alert(escalation=True), today=TODAY, where="管理職"))
    assert "局の管理職の方へお知らせしています" in text


def test_a_programmes_own_alert_card_gets_the_snooze_block():
    own = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "独自カード"}]}
    card = with_snooze(own, delay_alert(), TODAY)
    assert own["body"] == [{"type": "TextBlock", "text": "独自カード"}]  # not mutated
    assert [i["id"] for i in inputs(card)] == [SNOOZE_INPUT]


def test_the_largest_bureaus_digest_fits_and_has_every_programme():
    bureau = largest_bureau()
    digest = manager_digest(
        bureau=bureau,
        recipient_name="管理 一郎",
        as_of=TODAY,
        period_label="2026年7月13日（月）からの週",
        schedule_text="毎週月曜 9:00（休日の場合は翌営業日）",
        sources=[SeedOnlineProceduresStatus(extra=400)],
        infos=INFOS,
    )
    card = digest_card(digest)
    text = text_of(card)
    assert card_size_bytes(card) < MAX_CARD_BYTES
    assert all(info.title in text for info in INFOS)
    assert text.count("準備中") >= len(INFOS) - 1
    assert "Chart.HorizontalBar" in text and "fallback" in text
    assert "ほか" in text and f'"bureau": "{bureau}"' in text
    assert "この通知が届いた理由" in text and "次にしていただくこと" in text
    assert digest.lines[1].level is StatusLevel.OVERDUE


def test_the_office_digest_fits_with_every_bureau_and_many_problems():
    when = datetime(2026, 6, 30, 9, tzinfo=JST)
    problems = [
        DeliveryProblem(
            when - timedelta(minutes=n),
            "週次ダイジェスト",
            f"財政局 管理職 職員{n} さんの個人チャット",
            "HTTP 502: Bad Gateway (gave up after 6 attempts)",
        )
        for n in range(500)
    ]
    inactive = [InactiveConversation(f"個人チャット（aad-{n:04d}-xxxxxxxx-xxxx）", when) for n in range(300)]
    digest = office_digest(
        as_of=TODAY,
        period_label="2026年7月",
        schedule_text="毎月の第1営業日 9:00",
        sources=[SeedOnlineProceduresStatus()],
        infos=INFOS,
        problems=problems,
        inactive=inactive,
        unmapped_bureaus=[r["局"] for r in seed_bureaus()],
    )
    card = digest_card(digest)
    text = text_of(card)
    assert card_size_bytes(card) < MAX_CARD_BYTES
    assert "配信できなかったメッセージ" in text and "ほか" in text and "受け取れなくなった会話" in text
    assert "推進室のチャネルとして登録されているため" in text
    assert digest_summary(digest).startswith("【全庁 月次ダイジェスト】2026年7月")


def test_a_failing_status_source_becomes_one_line():
    class Broken:
        programme = "online_procedures"

        def status(self, as_of, bureau):
            raise RuntimeError("boom")

    digest = manager_digest(
        bureau="財政局",
        recipient_name="管理 一郎",
        as_of=TODAY,
        period_label="週",
        schedule_text="毎週",
        sources=[Broken()],
        infos=INFOS,
    )
    assert digest.lines[1].level is StatusLevel.UNAVAILABLE
    assert "取得できませんでした" in text_of(digest_card(digest))


def test_digests_from_the_registered_status_sources_fit_for_every_seed_bureau():
    """The programmes' own status sources (not stand-ins) over the seeded store."""
    from bot.programmes import PROGRAMMES
    from dialogs.base import DialogDeps
    from services.kernel.seed import load_seed, seed_store
    from tests.fakes import InMemoryTableStore
    from tests.support.proactive import ROOT

    store = InMemoryTableStore()
    seed_store(store, load_seed(ROOT / "data"))
    deps = DialogDeps(store=store, clock=lambda: datetime(2026, 11, 26, 9, tzinfo=JST))
    sources = [p.status(deps) for p in PROGRAMMES if p.status]
    assert sources  # at least 行政手続きオンライン化 reports its status
    as_of = date(2026, 11, 26)
    for row in seed_bureaus():
        digest = manager_digest(
            bureau=row["局"],
            recipient_name="管理 一郎",
            as_of=as_of,
            period_label="週",
            schedule_text="毎週月曜 9:00",
            sources=sources,
            infos=INFOS,
        )
        card = digest_card(digest)
        assert card_size_bytes(card) < MAX_CARD_BYTES, row["局"]
        assert digest.lines[1].level is not StatusLevel.UNAVAILABLE
    office = office_digest(
        as_of=as_of,
        period_label="2026年11月",
        schedule_text="毎月の第1営業日 9:00",
        sources=sources,
        infos=INFOS,
        problems=[],
        inactive=[],
    )
    assert card_size_bytes(digest_card(office)) < MAX_CARD_BYTES and "Chart.HorizontalBar" in text_of(
        digest_card(office)
    )


def _oversized_digest():
    """A digest one programme's text makes too large even cut to one line per section."""
    from dataclasses import replace

    digest = manager_digest(
        bureau=largest_bureau(),
        recipient_name="管理 一郎",
        as_of=TODAY,
        period_label="2026年7月13日（月）からの週",
        schedule_text="毎週月曜 9:00（休日の場合は翌営業日）",
        sources=[SeedOnlineProceduresStatus()],
        infos=INFOS,
    )
    huge = replace(digest.lines[1], headline="遅れ" * 15_000)  # 60 KB of UTF-16 in one sentence
    return replace(digest, lines=(digest.lines[0], huge, *digest.lines[2:]))


def test_a_digest_that_cannot_fit_fails_loudly_with_a_short_card(caplog):
    digest = _oversized_digest()
    with caplog.at_level("ERROR", logger="cards.proactive"):
        card = digest_card(digest)
    assert card_size_bytes(card) < MAX_CARD_BYTES // 4
    text = text_of(card)
    assert "1枚のカードでお届けできませんでした" in text and digest.title in text
    assert digest.lines[1].title in text  # the programme that needs attention is still named
    [record] = caplog.records
    assert (
        record.levelname == "ERROR"
        and "fallback" in record.getMessage()
        and digest.title in record.getMessage()
    )


def test_a_digest_that_fits_logs_nothing(caplog):
    from dataclasses import replace

    oversized = _oversized_digest()
    with caplog.at_level("ERROR", logger="cards.proactive"):
        card = digest_card(replace(oversized, lines=oversized.lines[:1]))
    assert caplog.records == [] and "1枚のカードでお届けできませんでした" not in text_of(card)
