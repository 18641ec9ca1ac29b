"""マイナンバー情報総点検 (the My Number linkage inspection, §1 of the 2023-08-08 meeting material).

- ``models``: plain values the cards show (operations 事務, their information items 情報, the survey
  answers, the inspection steps ①②③, the publication, the recurrence-prevention checklist, the
  classification matrix and the views built from them);
- ``rules``: the classification rule, the matrix, parsing and validation of what cards submit;
- ``service``: storage (table ``MyNumber``), the permission check and the audit trail around every
  read and write, the views, and what alerts are due;
- ``excel``: the publication table as an Excel file, and the operations/items import;
- ``sources``: the scheduler's ports (alerts, digest line).

No field of this programme holds a My Number; free text is masked before it is stored. The linkage
audit engine (matching records against the resident registry) will live in ``audit*.py`` modules of
this package and attaches its results to an operation through ``MyNumberService.attach_audit_result``.
"""
