"""The programme registry: one line per programme (key, Japanese title, icon, dialog factory).

Adding a programme means adding its service, cards and dialog modules and one line here.

A programme joins the scheduled jobs on the same line, with keyword arguments of ``_p``:

- ``alerts``: ``deps -> AlertSource`` (``services.proactive.alerts``): its due delay alerts and escalations;
- ``reminders``: ``deps -> AlertSource``: its training reminders;
- ``status``: ``deps -> StatusSource`` (``services.proactive.digest``): its line in the digests (without
  one, the digest line says the programme is not tracked yet);
- ``alert_card``: ``DueAlert -> card``: its own alert card (the snooze block is added to it);
- ``exports``: ``{"<key>.<name>": ExportBuilder}``: the files its cards offer through
  ``deps.files.offer(turn, actor, FileOffer(...))``, built when the user accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs import (
    cashless,
    digital_divide,
    dx,
    literacy,
    mynumber,
    mynumber_audit,
    online_procedures,
    standardization,
)
from dialogs.base import DialogDeps, ExportBuilder, ProgrammeDialog
from dialogs.cashless import CashlessDialog
from dialogs.digital_divide import DigitalDivideDialog
from dialogs.dx import DxDialog
from dialogs.literacy import LiteracyDialog
from dialogs.mynumber import MyNumberDialog
from dialogs.online_procedures import OnlineProceduresDialog
from dialogs.standardization import StandardizationDialog
from services.kernel.programmes import ProgrammeInfo
from services.proactive.alerts import AlertSource, DueAlert
from services.proactive.digest import StatusSource

DialogFactory = Callable[[ProgrammeInfo, DialogDeps], ProgrammeDialog]
AlertFactory = Callable[[DialogDeps], AlertSource]
StatusFactory = Callable[[DialogDeps], StatusSource]


@dataclass(frozen=True)
class Programme:
    info: ProgrammeInfo
    dialog: DialogFactory
    alerts: AlertFactory | None = None
    reminders: AlertFactory | None = None
    status: StatusFactory | None = None
    alert_card: Callable[[DueAlert], dict[str, Any]] | None = None
    exports: Mapping[str, ExportBuilder] = field(default_factory=dict)


def _p(
    key: str,
    title: str,
    icon: str,
    summary: str,
    keywords: tuple[str, ...],
    dialog: DialogFactory,
    **proactive: Any,
) -> Programme:
    return Programme(ProgrammeInfo(key, title, icon, summary, keywords), dialog, **proactive)


PROGRAMMES: tuple[Programme, ...] = (
    _p(
        "mynumber",
        "マイナンバー情報総点検",
        "🔢",
        "マイナンバーの紐付け状況の確認、全データ点検の進捗、再発防止策を管理します。",
        ("マイナンバー", "総点検", "mynumber"),
        MyNumberDialog,
        alerts=mynumber.alert_source,
        status=mynumber.status_source,
        alert_card=mynumber.alert_card,
        exports={
            mynumber.EXPORT_PUBLICATION: mynumber.publication_export,
            mynumber_audit.EXPORT_AUDIT: mynumber_audit.report_export,
        },
    ),
    _p(
        "online_procedures",
        "行政手続きオンライン化",
        "🌐",
        "局ごと・四半期ごとのオンライン化の計画と実績、遅れ・前倒しを管理します。",
        ("オンライン化", "オンライン", "手続き", "online"),
        OnlineProceduresDialog,
        alerts=online_procedures.alert_source,
        status=online_procedures.status_source,
        alert_card=online_procedures.alert_card,
        exports={online_procedures.TABLE_EXPORT: online_procedures.export_table},
    ),
    _p(
        "cashless",
        "キャッシュレス",
        "💳",
        "キャッシュレス決済を導入する債権（年間3,000件以上）と導入状況を管理します。",
        ("キャッシュレス", "cashless"),
        CashlessDialog,
        alerts=cashless.alert_source,
        status=cashless.status_source,
        alert_card=cashless.alert_card,
        exports={cashless.EXPORT_REGISTRY: cashless.export_registry},
    ),
    _p(
        "standardization",
        "業務システムの標準化",
        "🏗️",
        "基幹業務システムの標準準拠システムへの移行、Gap対応、見積精査の状況を管理します。",
        ("標準化", "standardization"),
        StandardizationDialog,
        alerts=standardization.alert_source,
        status=standardization.status_source,
        alert_card=standardization.alert_card,
        exports={standardization.EXPORT_NAME: standardization.export_workbook},
    ),
    _p(
        "dx",
        "堺市DX",
        "🚀",
        "DX PRO（72部署）のDX実行計画・実施報告、研修、データアカデミーを管理します。",
        ("dx", "データアカデミー", "dxpro"),
        DxDialog,
        alerts=dx.alert_source,
        reminders=dx.reminder_source,
        status=dx.status_source,
        alert_card=dx.alert_card,
        exports={dx.EXPORT: dx.export_builder},
    ),
    _p(
        "literacy",
        "ICTリテラシー",
        "📚",
        "ツールごとの「わかる」「つかえる」「つくれる」の自己評価とおすすめ研修、部署の必要人材を管理します。",
        ("リテラシー", "literacy"),
        LiteracyDialog,
        status=literacy.status_source,
    ),
    _p(
        "digital_divide",
        "デジタル・ディバイド対策",
        "📱",
        "スマホ教室の計画と実施、ポスター掲示・チラシ配架などの周知、住民向けの教室案内を管理します。",
        ("デジタルデバイド", "デジタルディバイド", "デジタル・ディバイド", "スマホ教室", "スマホ"),
        DigitalDivideDialog,
        alerts=digital_divide.alert_source,
        status=digital_divide.status_source,
        alert_card=digital_divide.alert_card,
        exports={digital_divide.CLASSES_EXPORT: digital_divide.export_classes},
    ),
)
