"""キャッシュレス: the receivables registry (債権), the policy engine that classifies each receivable
with the rule that put it there, the rollout (未着手 → 調整中 → 導入予定 → 導入済) with the
指定管理者 switching-year reminders, the national indicator (imported payment counts and amounts),
the Excel export and imports, and the alert and digest sources.

- :mod:`services.cashless.models`: plain frozen values (cards import this module);
- :mod:`services.cashless.policy`: classification, coverage, transitions, reminder dates (pure);
- :mod:`services.cashless.forms`: reading what an update card submits, and the changes it makes;
- :mod:`services.cashless.storage`: the table layout and the records built from the seed;
- :mod:`services.cashless.excel`, :mod:`services.cashless.registry_import`: the workbooks;
- :mod:`services.cashless.errors`: the errors and the permission resource;
- :mod:`services.cashless.service` (with :mod:`services.cashless.transfers`, its Excel part):
  storage, permissions and audit around every read and write, and what alerts are due;
- :mod:`services.cashless.sources`: the alert source and the digest status source;
- ``python -m services.cashless``: the CLI.
"""
