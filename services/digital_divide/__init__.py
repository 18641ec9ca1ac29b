"""デジタル・ディバイド対策: smartphone classes (スマホ教室) against the plan, outreach, partners.

- :mod:`.models`: plain models the cards render (classes, plan, plan-versus-actual rows, outreach).
- :mod:`.plan`: the pure arithmetic: the plan of a fiscal year (settings, the seed for 令和5年度),
  plan against actual by month and by ward, the months behind plan.
- :mod:`.classes`: parsing and validating a class (card or Excel row) and the Excel layout.
- :mod:`.service`: storage (table ``DigitalDivide``), permission checks and the audit trail; the
  partner contacts; outreach; the residents' list of upcoming classes.
- :mod:`.alerts`: ``due_alerts(as_of)`` (attendance not recorded, a month behind plan) and the
  digest's status source.
"""
