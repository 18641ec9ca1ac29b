"""ICTリテラシー: skill levels (わかる / つかえる / つくれる) per digital tool.

- :mod:`.models`: plain models the cards render (levels, the material's words, assessments,
  recommendations, department needs and gaps).
- :mod:`.rules`: the pure rules: the training to recommend for the next level (from the DX
  programme's training menu, read from the seed), the department gaps and the at-risk rule.
- :mod:`.service`: storage (table ``Literacy``), the permission check and the audit trail around
  every read and write; the tools list (a setting an admin can extend); the digest's status source.
"""
