"""キャッシュレス: the receivables registry (債権), the policy engine that classifies each receivable
with the rule that put it there, the rollout (未着手 → 調整中 → 導入予定 → 導入済) with the
指定管理者 switching-year reminders, the national indicator (imported payment counts and amounts),
the Excel export and imports, and the alert and digest sources.

- :mod:`services.cashless.models`: plain frozen values (cards import this module);
- :mod:`services.cashless.policy`: classification, coverage, reminder dates (pure functions);
- :mod:`services.cashless.excel`: the registry workbook and the indicator workbook;
- :mod:`services.cashless.service`: storage, permissions, audit, seeding, alerts and status.
"""
