"""The My Number linkage audit (全データ点検): a business system's records matched against the
resident registry on the four basic items, one verdict per record, candidates for the right
person, and an Excel report. Numbers stay in memory; only masked values leave it."""
