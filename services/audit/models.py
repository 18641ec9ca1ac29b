"""What the audit trail records: plain models (cards import this module)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Japanese names of the entity kinds that appear in the audit trail. A programme that audits
#: its own records adds its kind here (e.g. ``"online_procedures": "オンライン化の実績"``).
ENTITY_LABELS: dict[str, str] = {
    "person": "職員",
    "org_unit": "組織",
    "registration": "登録依頼",
    "online_procedures": "オンライン化の実績",
    "cashless": "キャッシュレスの債権",
    "standardization": "業務システムの標準化",
    "channel_mapping": "チャネル登録",
    "alert_snooze": "通知の保留",
    # --- dx ---
    "dx_plan": "DX実行計画",
    "dx_participation": "DX参加部署",
    "dx_session": "DX研修の日程",
    "dx_enrolment": "DX研修の受講",
    "dx_academy": "データアカデミー",
    # --- literacy / digital_divide ---
    "literacy_assessment": "ICTリテラシーの自己評価",
    "literacy_needs": "所管に必要な人材",
    "literacy_tools": "ICTリテラシーのツール一覧",
    "digital_divide_class": "スマホ教室",
    "digital_divide_outreach": "周知・啓発の計画と実績",
    "digital_divide_partner": "スマホ教室の連携先担当者",
}
OPERATION_LABELS: dict[str, str] = {
    "create": "追加",
    "update": "変更",
    "delete": "削除",
    "grant": "ロール付与",
    "revoke": "ロール取消",
    "approve": "承認",
    "reject": "却下",
    "request": "依頼",
    "compensation": "取消（保存失敗）",
    "correct": "訂正",
    "import": "取込",
}


@dataclass(frozen=True)
class Change:
    """One change to one entity, as the caller describes it before writing it.

    ``before``/``after`` are JSON-like values (``None``: did not exist / no longer exists).
    ``reason`` is what the user typed where the card asked for one.
    """

    entity_kind: str
    entity_id: str
    operation: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str = ""


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str  # the row key: time-ordered
    at: datetime  # Asia/Tokyo
    actor_id: str
    actor_name: str
    conversation_id: str
    entity_kind: str
    entity_id: str
    operation: str
    before: Any
    after: Any
    reason: str = ""
    compensates: str = ""  # older trails only: a compensation note named the entry whose change was not saved

    @property
    def entity_label(self) -> str:
        return ENTITY_LABELS.get(self.entity_kind, self.entity_kind)

    @property
    def operation_label(self) -> str:
        return OPERATION_LABELS.get(self.operation, self.operation)
