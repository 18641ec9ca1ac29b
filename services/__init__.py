"""All business logic, free of botbuilder, aiohttp and apscheduler.

Shared packages: ``kernel`` (settings, calendar, privacy, tabular files, seed, programme list),
``people`` (organisation, people, roles, permissions), ``audit`` (the audit trail) and
``proactive`` (scheduled jobs and proactive delivery). Each programme has a package named by its
key (``online_procedures``, ...). A programme never imports another programme; the shared
packages never import a programme (``tests/test_architecture.py``).
"""
