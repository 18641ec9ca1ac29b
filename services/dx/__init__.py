"""堺市DX and the DX PRO training programme (programme key ``dx``).

- ``models``: plain models the cards render (plans, comments, reports, courses, sessions, teams);
- ``catalogue``: what the seed says (the 72-department target, the four categories, the training
  menu, the データアカデミー target businesses), read from the stored seed or the CSV files;
- ``plans``: DX実行計画 through 下書き→提出→ICT室確認→実行中→報告済 with the ICT office's comment
  thread and ETags, the 実施報告書; ``forms`` (what the plan and report cards send, checked) and
  ``departments`` (departments taking part, the overview, shared reports) are parts of it;
- ``training``: sessions with capacity and a waiting list, attendance, videos watched and their
  assignments, データアカデミー teams and their stages;
- ``proactive``: the ``alerts=``, ``reminders=`` and ``status=`` sources of the registry line;
- ``blobs``: JSON split over entity properties (Azure limits);
- ``excel``: the Excel export; ``cli`` (``python -m services.dx``): export and today's alerts and reminders.
"""
