"""行政手続きオンライン化: per-bureau quarterly ledgers (plan, actual, 遅れ, 前倒し), DX PRO updates,
the material's table in Excel, and the delay alerts. The example every programme follows."""
