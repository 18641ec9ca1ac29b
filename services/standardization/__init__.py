"""業務システムの標準化: the 20 standardised operations' systems, their deadlines (令和7年度末 and the
hard-to-migrate / 特定移行支援 exceptions), configurable steps, gaps with the ICT office's review in
submission order, cost estimates against the subsidy, Excel export/import, due alerts and the digest line.

Modules: ``models`` (plain values, imported by cards), ``rules`` (deadlines, overdue, cost arithmetic),
``store`` (entities), ``forms`` (parsing what cards send, errors), ``reads`` (views behind the permission
check, due alerts), ``service`` (every write: permission, validation, ETag, duplicate marker, audit),
``excel`` (the workbook), ``sources`` (alert and status sources for the scheduler and the digests),
``cli`` (``python -m services.standardization``).
"""
