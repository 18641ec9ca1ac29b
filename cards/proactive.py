"""Cards of proactive messages and their administration: delay alerts (with snooze), digests,
the scheduled-jobs card and channel registration.

Every proactive card says why it came (「この通知が届いた理由」) and what to do next
(「次にしていただくこと」). Digests stay under the 40 KB message limit whatever the input: long
lists are cut to a few items plus 「ほか N 件」 and a button to the details, and the cut gets
tighter until the card fits.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from cards.common import (
    MAX_CARD_BYTES,
    adaptive_card,
    card_size_bytes,
    error_banner,
    fact_set,
    header,
    japanese_date,
    menu_action,
    notice,
    shared_card,
    submit_action,
    text_block,
)
from services.proactive.alerts import DueAlert
from services.proactive.channels import ChannelMapping, ChannelRole
from services.proactive.digest import Digest, ProgrammeStatus, StatusLevel
from services.proactive.jobs import JobView

SNOOZE_VERB = "proactive.snooze"
JOBS_VERB = "proactive.jobs"
RUN_JOB_VERB = "proactive.run"
CHANNELS_VERB = "proactive.channels"
CHANNEL_FORM_VERB = "proactive.channel_form"
MAP_CHANNEL_VERB = "proactive.map_channel"
UNMAP_CHANNEL_VERB = "proactive.unmap_channel"
OFFICE_CHOICE = "@office"
SNOOZE_INPUT = "snooze_until"
SEEN_SNOOZE = "seen_snooze"  # the snooze a conflict form showed (ETag): sending again replaces it
SEEN_MAPPING = "seen_mapping"  # the registration the channel form showed (ETag, "" for none)
UNIT_INPUT = "unit"
MAX_SNOOZE_DAYS = 90
_SIZE_BUDGET = MAX_CARD_BYTES - 2048  # leave room for the activity envelope
logger = logging.getLogger(__name__)


def _time(value: datetime) -> str:
    return f"{japanese_date(value.date())} {value:%H:%M}"


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", separator=True, spacing="Medium")


def _listed(title: str, rows: list[str], total: int) -> list[dict]:
    """A section listing ``rows`` (the first of ``total`` items), 「ほか N件」 for the rest, or
    「ありません。」 when there are none."""
    if not total:
        return [_section(title), text_block("ありません。", isSubtle=True)]
    if total > len(rows):
        rows = [*rows, f"- ほか {total - len(rows)}件"]
    return [_section(title), text_block("\n".join(rows), size="Small")]


def _why_and_next(why: str, next_step: str) -> list[dict]:
    return [
        _section("この通知が届いた理由"),
        text_block(why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(next_step),
    ]


def details_action(programme: str, bureau: str = "", title: str = "詳細を見る") -> dict:
    return submit_action(title, f"{programme}.open", {"bureau": bureau} if bureau else None)


# --- delay alerts and snooze ------------------------------------------------------------------------


def snooze_data(alert: DueAlert) -> dict[str, str]:
    return {
        "alert_key": alert.key,
        "subject": alert.snooze_subject,
        "programme": alert.programme,
        "bureau": alert.bureau,
        "title": alert.title[:120],
        "escalation": "1" if alert.escalation else "",
    }


def snooze_block(data: dict[str, str], today: date, *, value: str = "", error: str | None = None) -> dict:
    """``Input.Date`` and a button: quiet this alert (and its escalation) until the chosen date."""
    tomorrow = today + timedelta(days=1)
    items: list[dict] = [
        text_block(
            "対応に時間がかかる場合は、再通知する日を選んで保留できます。保留中は同じ通知も"
            "管理職へのエスカレーションも行いません。",
            isSubtle=True,
            size="Small",
        ),
    ]
    if error:
        items.append(error_banner(error))
    items += [
        {
            "type": "Input.Date",
            "id": SNOOZE_INPUT,
            "label": "再通知する日",
            "min": tomorrow.isoformat(),
            "max": (today + timedelta(days=MAX_SNOOZE_DAYS)).isoformat(),
            "value": value or (today + timedelta(days=7)).isoformat(),
            "isRequired": True,
            "errorMessage": "再通知する日を選んでください",
        },
        {"type": "ActionSet", "actions": [submit_action("この日まで保留する", SNOOZE_VERB, data)]},
    ]
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def alert_card(
    alert: DueAlert, *, today: date, where: str, programme_title: str = "", icon: str = "🔔"
) -> dict:
    unit = "/".join(p for p in (alert.bureau, alert.department) if p)
    subtitle = "｜".join(p for p in (programme_title, unit) if p)
    body: list[dict] = [*header(alert.title, subtitle or None, "⛔" if alert.escalation else icon)]
    if alert.escalation:
        body.append(
            notice("期限を過ぎても対応が確認できない項目があるため、局の管理職の方へお知らせしています。")
        )
    facts = list(alert.facts)
    if alert.due:
        facts.append(("期限", japanese_date(alert.due)))
    if facts:
        body.append(fact_set(facts))
    body += _why_and_next(f"{alert.why}（送信先: {where}）", alert.next_step)
    body.append(snooze_block(snooze_data(alert), today))
    return adaptive_card(body, [details_action(alert.programme, alert.bureau)])


def with_snooze(card: dict, alert: DueAlert, today: date) -> dict:
    """A programme's own alert card with the snooze block added (its text stays as it is)."""
    result = copy.deepcopy(card)
    result.setdefault("body", []).append(snooze_block(snooze_data(alert), today))
    return result


def alert_summary(alert: DueAlert) -> str:
    """The notification text Teams shows for the message."""
    kind = "エスカレーション" if alert.escalation else "お知らせ"
    return f"【{kind}】{alert.bureau}: {alert.title}"[:200]


def snooze_form_card(data: dict[str, str], today: date, *, value: str = "", error: str | None = None) -> dict:
    """The snooze form again, with the reason the date was refused."""
    body = [
        *header(data.get("title") or "通知の保留", data.get("bureau") or None, "🔔"),
        snooze_block(data, today, value=value, error=error),
    ]
    return adaptive_card(
        body,
        [details_action(data.get("programme", "menu"), data.get("bureau", ""))]
        if data.get("programme")
        else [menu_action()],
    )


def snoozed_card(data: dict[str, str], until: date, by_name: str, *, already: bool = False) -> dict:
    """``already``: the sender had snoozed it to this very date (their own, sent again): nothing changed."""
    escalation = "管理職へのエスカレーションも、それまで行いません。" if not data.get("escalation") else ""
    done = "すでに保留しています" if already else "この通知を保留しました"
    body = [
        *header(data.get("title") or "通知を保留しました", data.get("bureau") or None, "🔕"),
        notice(
            f"{japanese_date(until)}まで、{done}（{by_name} さん）。{escalation}"
            "その日になっても対応が必要な場合は、もう一度お知らせします。"
        ),
        text_block("保留したことは変更履歴に記録されています。", isSubtle=True, size="Small"),
    ]
    actions = [details_action(data["programme"], data.get("bureau", ""))] if data.get("programme") else []
    return adaptive_card(body, [*actions, menu_action()])


def not_snoozable_card(message: str) -> dict:
    return adaptive_card([*header("通知を保留できません", icon="🔔"), text_block(message)], [menu_action()])


# --- digests ----------------------------------------------------------------------------------------


def bar_chart(title: str, points: Sequence[tuple[str, float]], unit: str = "件") -> dict:
    """A Teams horizontal bar chart, with a fact set for clients that do not draw charts."""
    return {
        "type": "Chart.HorizontalBar",
        "title": title,
        "data": [{"x": label, "y": value} for label, value in points],
        "fallback": fact_set([(label, f"{value:g}{unit}") for label, value in points]),
    }


def _line(line: ProgrammeStatus, bureau: str, max_items: int, charts: bool) -> dict:
    if line.level is StatusLevel.NOT_TRACKED:
        return {
            "type": "Container",
            "separator": True,
            "items": [
                text_block(
                    f"{line.icon} {line.title}　{line.level.icon} {line.level.label}", weight="Bolder"
                ),
                text_block(line.headline, isSubtle=True, size="Small", spacing="None"),
            ],
        }
    items: list[dict] = [
        text_block(f"{line.icon} {line.title}　{line.level.icon} {line.level.label}", weight="Bolder"),
        text_block(line.headline, spacing="None"),
    ]
    if charts and line.chart:
        items.append(
            bar_chart(
                line.chart_title or line.title, [(p.label, p.value) for p in line.chart], line.chart_unit
            )
        )
    if line.items:
        counts = []
        if line.overdue_count:
            counts.append(f"期限超過 {line.overdue_count}件")
        if line.delayed_count:
            counts.append(f"遅れ {line.delayed_count}件")
        shown = line.items[:max_items]
        rows = [
            f"- {'⛔ ' if i.overdue else ''}{i.label}" + (f"（{i.detail}）" if i.detail else "")
            for i in shown
        ]
        if len(line.items) > len(shown):
            rows.append(f"- ほか {len(line.items) - len(shown)}件（「詳細を見る」で確認できます）")
        items += [
            text_block("・".join(counts), color="Attention", size="Small"),
            text_block("\n".join(rows), size="Small", spacing="None"),
        ]
    items.append({"type": "ActionSet", "actions": [details_action(line.programme, bureau)]})
    return {"type": "Container", "separator": True, "items": items}


def _digest_body(digest: Digest, max_items: int, max_rows: int, charts: bool) -> list[dict]:
    body: list[dict] = [*header(digest.title, digest.period_label, "📊")]
    attention = [line for line in digest.lines if line.level in (StatusLevel.DELAYED, StatusLevel.OVERDUE)]
    tracked = [line for line in digest.lines if line.level is not StatusLevel.NOT_TRACKED]
    body.append(
        fact_set(
            [
                ("基準日", japanese_date(digest.as_of)),
                (
                    "対応が必要な取組",
                    f"{len(attention)} / {len(tracked)}" if tracked else "集計中の取組はありません",
                ),
            ]
        )
    )
    body += [_line(line, digest.bureau, max_items, charts) for line in digest.lines]
    if digest.kind == "office":
        body += _listed(
            "配信できなかったメッセージ",
            [f"- {_time(p.when)} {p.what} → {p.where}: {p.reason}" for p in digest.problems[:max_rows]],
            len(digest.problems),
        )
        body += _listed(
            "メッセージを受け取れなくなった会話",
            [f"- {c.label}（{japanese_date(c.since.date())}から）" for c in digest.inactive[:max_rows]],
            len(digest.inactive),
        )
        if digest.unmapped_bureaus:
            body.append(_section("DX PRO チャネルが未登録の局"))
            body.append(text_block("、".join(digest.unmapped_bureaus[: max_rows * 3]), size="Small"))
    body += _why_and_next(digest.why, digest.next_step)
    return body


def digest_card(digest: Digest, *, max_items: int = 8, max_rows: int = 20) -> dict:
    """The digest card, cut until it fits the message size limit."""
    charts = True
    while True:
        actions = [submit_action("配信状況", JOBS_VERB)] if digest.kind == "office" else []
        card = adaptive_card(
            _digest_body(digest, max_items, max_rows, charts), [*actions, menu_action("メニュー")]
        )
        if card_size_bytes(card) <= _SIZE_BUDGET:
            return card
        if max_items > 1 or max_rows > 1:
            max_items, max_rows = max(1, max_items // 2), max(1, max_rows // 2)
        elif charts:
            charts = False
        else:
            # Nothing more to cut and still too large (a programme's text is huge): Teams would refuse
            # it (413), so say so loudly and send the short card instead.
            logger.error(
                "digest card %r (%s) is %d bytes even cut to one line per section (limit %d): "
                "sending the short fallback card",
                digest.title,
                digest.period_label,
                card_size_bytes(card),
                _SIZE_BUDGET,
            )
            return digest_fallback_card(digest, actions)


def digest_fallback_card(digest: Digest, actions: Sequence[dict] = ()) -> dict:
    """The short card sent when the digest cannot fit: which programmes need attention, and where to look."""
    attention = [line for line in digest.lines if line.level in (StatusLevel.DELAYED, StatusLevel.OVERDUE)]
    names = "、".join(line.title[:40] for line in attention[:10]) or "なし"
    body: list[dict] = [*header(digest.title[:80], digest.period_label[:80], "📊")]
    body.append(fact_set([("基準日", japanese_date(digest.as_of)), ("対応が必要な取組", names)]))
    body.append(
        notice(
            "内容が多すぎて、このダイジェストを1枚のカードでお届けできませんでした。"
            "メニューから各取組の画面を開いて状況をご確認ください。"
        )
    )
    return adaptive_card(body, [*actions, menu_action("メニュー")])


def digest_summary(digest: Digest) -> str:
    attention = sum(1 for line in digest.lines if line.level in (StatusLevel.DELAYED, StatusLevel.OVERDUE))
    tail = f"対応が必要な取組が{attention}件あります" if attention else "対応が必要な遅れはありません"
    return f"【{digest.title}】{digest.period_label}: {tail}"[:200]


# --- scheduled jobs (admins) ------------------------------------------------------------------------

_STATE_LABELS = {"running": "実行中", "done": "完了"}
_TRIGGER_LABELS = {"schedule": "定時", "manual": "手動", "recovery": "再開", "catch-up": "起動時の追いつき"}


def jobs_card(
    views: Sequence[JobView],
    *,
    scheduler_running: bool,
    pending: int = 0,
    message: str | None = None,
    error: str | None = None,
) -> dict:
    body: list[dict] = [*header("定時の通知と配信状況", "ICTイノベーション推進室（管理者のみ）", "⏰")]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    if not scheduler_running:
        body.append(
            notice(
                "このインスタンスではスケジューラーが動いていません（SCHEDULER_ENABLED=false）。"
                "「今すぐ実行」は使えます。"
            )
        )
    if pending:
        body.append(text_block(f"送信待ちのメッセージ: {pending}件", isSubtle=True))
    for view in views:
        facts = [
            ("予定", view.schedule),
            ("次回", _time(view.next_run) if view.next_run else "（スケジューラー停止中）"),
        ]
        if view.last_started:
            state = _STATE_LABELS.get(view.last_state, view.last_state)
            trigger = _TRIGGER_LABELS.get(view.last_trigger, view.last_trigger)
            facts.append(("前回", f"{_time(view.last_started)}（{trigger}・{state}）"))
            if view.last_state == "done":
                facts.append(
                    (
                        "前回の結果",
                        f"送信 {view.last_sent}件・失敗 {view.last_failed}件・"
                        + (
                            f"送り先（チャネルなど）が未登録 {view.last_undeliverable}件・"
                            if view.last_undeliverable
                            else ""
                        )
                        + f"送信済みまたは保留 {view.last_skipped}件",
                    )
                )
        items: list[dict] = [
            text_block(view.title, weight="Bolder", size="Medium"),
            text_block(view.description, isSubtle=True, spacing="None"),
            fact_set(facts),
        ]
        if view.runnable:
            items.append(
                {
                    "type": "ActionSet",
                    "actions": [submit_action("今すぐ実行", RUN_JOB_VERB, {"job": view.name})],
                }
            )
        body.append({"type": "Container", "separator": True, "items": items})
    return adaptive_card(
        body,
        [
            submit_action("最新の状態に更新", JOBS_VERB),
            submit_action("チャネル登録", CHANNELS_VERB),
            menu_action(),
        ],
    )


# --- channel registration (admins) ---------------------------------------------------------------


def channel_form_card(
    conversation_id: str,
    channel_name: str,
    unit_choices: Sequence[dict[str, str]],
    *,
    current: ChannelMapping | None = None,
    error: str | None = None,
    value: str = "",
) -> dict:
    """Choose what this channel is: a bureau's or department's DX PRO channel, or the office's."""
    name = f"#{channel_name}" if channel_name else "このチャネル"
    body: list[dict] = [*header("チャネルの登録", name, "📣")]
    if error:
        body.append(error_banner(error))
    if current is not None:
        body.append(notice(f"現在の登録: {current.label}"))
    body.append(
        text_block(
            "このチャネルに届く通知を選びます。DX PRO チャネルにはその局・部の遅延アラートが、"
            "推進室のチャネルには月次ダイジェストが届きます。"
        )
    )
    choices = [
        {"title": "ICTイノベーション推進室のチャネル（月次ダイジェスト）", "value": OFFICE_CHOICE},
        *unit_choices,
    ]
    if not value and current is not None:
        value = OFFICE_CHOICE if current.role is ChannelRole.OFFICE else current.unit_path
    picker: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": UNIT_INPUT,
        "label": "このチャネルの役割（局・部）",
        "style": "compact",
        "choices": choices,
        "isRequired": True,
        "errorMessage": "局・部または推進室を選んでください",
        "placeholder": "局・部を選んでください",
    }
    if value:
        picker["value"] = value
    body.append(picker)
    data = {
        "conversation_id": conversation_id,
        "channel_name": channel_name,
        SEEN_MAPPING: (current.etag or "") if current is not None else "",
    }
    actions = [submit_action("登録する", MAP_CHANNEL_VERB, data)]
    if current is not None:
        actions.append(submit_action("登録を解除する", UNMAP_CHANNEL_VERB, data))
    actions.append(submit_action("チャネル一覧", CHANNELS_VERB))
    return adaptive_card(body, actions)


def channel_mapped_card(mapping: ChannelMapping, *, removed: bool = False, already: bool = False) -> dict:
    """``already``: the sender had registered it so themselves (the same card sent again)."""
    if already:
        text = f"このチャネルは、すでに{mapping.label}として登録されています（変更はありません）。"
    elif removed:
        text = f"{mapping.label}の登録を解除しました。このチャネルには定時の通知が届かなくなります。"
    elif mapping.role is ChannelRole.OFFICE:
        text = f"{mapping.label}として登録しました。毎月の第1営業日に全庁の月次ダイジェストが届きます。"
    else:
        text = (
            f"{mapping.label}として登録しました。{mapping.unit_path}の遅延アラートがこのチャネルに届きます。"
        )
    body = [
        *header("チャネルの登録", icon="📣"),
        notice(text),
        text_block("登録の変更は変更履歴に記録されています。", isSubtle=True, size="Small"),
    ]
    return adaptive_card(body, [submit_action("チャネル一覧", CHANNELS_VERB), menu_action()])


def channels_card(
    mappings: Sequence[ChannelMapping],
    unmapped: Sequence[tuple[str, str]],
    *,
    message: str | None = None,
    max_rows: int = 40,
) -> dict:
    """Registered channels, and the channels the bot knows that have no role yet (cut to fit)."""
    while True:
        card = _channels_card(mappings, unmapped, message, max_rows)
        if card_size_bytes(card) <= _SIZE_BUDGET or max_rows <= 1:
            return card
        max_rows //= 2


def _channels_card(
    mappings: Sequence[ChannelMapping],
    unmapped: Sequence[tuple[str, str]],
    message: str | None,
    max_rows: int,
) -> dict:
    body: list[dict] = [*header("チャネル登録", "ICTイノベーション推進室（管理者のみ）", "📣")]
    if message:
        body.append(notice(message))
    body.append(_section("登録済みのチャネル"))
    if mappings:
        for mapping in mappings[:max_rows]:
            body.append(
                {
                    "type": "ColumnSet",
                    "columns": [
                        {
                            "type": "Column",
                            "width": "stretch",
                            "items": [text_block(mapping.label, size="Small")],
                        },
                        {
                            "type": "Column",
                            "width": "auto",
                            "items": [
                                {
                                    "type": "ActionSet",
                                    "actions": [
                                        submit_action(
                                            "変更",
                                            CHANNEL_FORM_VERB,
                                            {"conversation_id": mapping.conversation_id},
                                        )
                                    ],
                                }
                            ],
                        },
                    ],
                }
            )
        if len(mappings) > max_rows:
            body.append(text_block(f"ほか {len(mappings) - max_rows}件", isSubtle=True))
    else:
        body.append(text_block("まだありません。", isSubtle=True))
    body.append(_section("未登録のチャネル（ボットが追加されているもの）"))
    if unmapped:
        for conversation_id, label in unmapped[:max_rows]:
            body.append(
                {
                    "type": "ColumnSet",
                    "columns": [
                        {"type": "Column", "width": "stretch", "items": [text_block(label, size="Small")]},
                        {
                            "type": "Column",
                            "width": "auto",
                            "items": [
                                {
                                    "type": "ActionSet",
                                    "actions": [
                                        submit_action(
                                            "登録", CHANNEL_FORM_VERB, {"conversation_id": conversation_id}
                                        )
                                    ],
                                }
                            ],
                        },
                    ],
                }
            )
        if len(unmapped) > max_rows:
            body.append(
                text_block(
                    f"ほか {len(unmapped) - max_rows}件。チャネルで @ICT推進ボット に"
                    "「このチャネルを登録」と送って登録することもできます。",
                    isSubtle=True,
                )
            )
    else:
        body.append(
            text_block(
                "ありません。チャネルで @ICT推進ボット に「このチャネルを登録」と送っても登録できます。",
                isSubtle=True,
            )
        )
    return adaptive_card(body, [submit_action("定時の通知", JOBS_VERB), menu_action()])


# --- the renderer the jobs use ----------------------------------------------------------------------


class CardRenderer:
    """Implements ``services.proactive.jobs.Renderer``: models in, message payloads out.

    ``alert_cards`` maps a programme key to that programme's own alert card builder (it gets the
    ``DueAlert``; ``alert.item`` is the programme's own object); the snooze block is added to it.
    Programmes without one get :func:`alert_card`.
    """

    def __init__(self, titles: dict[str, tuple[str, str]], alert_cards: dict[str, Any] | None = None):
        self._titles = titles  # programme key -> (icon, title)
        self._alert_cards = alert_cards or {}

    def alert(self, alert: DueAlert, *, today: date, where: str) -> dict[str, Any]:
        build = self._alert_cards.get(alert.programme)
        if build is not None:
            card = with_snooze(build(alert), alert, today)
        else:
            icon, title = self._titles.get(alert.programme, ("🔔", ""))
            card = alert_card(alert, today=today, where=where, programme_title=title, icon=icon)
        return {"card": shared_card(card), "summary": alert_summary(alert)}

    def digest(self, digest: Digest) -> dict[str, Any]:
        return {"card": shared_card(digest_card(digest)), "summary": digest_summary(digest)}
