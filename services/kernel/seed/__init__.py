"""The seed data: the tables of the 2023-08-08 ICT strategy meeting material, as CSV under ``data/``.

* A declarative schema per file (:data:`SCHEMAS`): its columns, exact Japanese names in order, each
  with an ASCII property key (TableStore property names are ASCII) and a kind.
* :func:`load_seed` reads and validates *every* file, then runs the cross-checks (row totals, the
  総計 row, figures the material states twice). Any problem raises :class:`SeedError` naming the
  file, the spreadsheet row (the header is row 1) and the column; nothing is returned then.
* :func:`seed_store` writes the seed into the ``Seed`` table (one partition per file, row keys
  ``0001``…) with insert-if-absent semantics, so a second run adds nothing.
* :func:`read_seed_frame` / :func:`read_online_procedures` read it back as the same DataFrames,
  because every number the bot shows is computed from stored data.

The package: :mod:`.model` (kinds, columns, schemas' vocabulary, issues), :mod:`.checks` (content
checks), :mod:`.schemas` (one schema per file), :mod:`.loader` (reading and validating), :mod:`.store`
(the ``Seed`` table), :mod:`.cli` (``.venv/bin/python -m services.kernel.seed check [DATA_DIR]``).

Rules of the files (see ``data/README.md``): UTF-8 (a BOM is accepted), one header row, blank
count cells mean 0, ``|`` separates list items, ``○`` marks a flag, dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

from services.kernel.seed.checks import (
    BUREAU,
    DX_SELECTION_MEETING,
    FORMS_TOTAL,
    INDIVIDUAL,
    ONLINE_ANNOTATION_COLUMNS,
    ONLINE_FIGURE_COLUMNS,
    ONLINE_PERIOD_COLUMNS,
    QUARTERS,
    bureau_rows,
)
from services.kernel.seed.cli import main
from services.kernel.seed.loader import SeedData, load_seed
from services.kernel.seed.model import (
    DEFAULT_DATA_DIR,
    SEED_TABLE,
    TOTAL_LABEL,
    Column,
    FileSchema,
    Kind,
    SeedError,
    SeedIssue,
)
from services.kernel.seed.schemas import SCHEMA_BY_NAME, SCHEMAS
from services.kernel.seed.store import (
    dx_selection_departments,
    read_online_procedures,
    read_seed_frame,
    seed_entities,
    seed_store,
)

__all__ = [
    "BUREAU",
    "Column",
    "DEFAULT_DATA_DIR",
    "DX_SELECTION_MEETING",
    "FORMS_TOTAL",
    "FileSchema",
    "INDIVIDUAL",
    "Kind",
    "ONLINE_ANNOTATION_COLUMNS",
    "ONLINE_FIGURE_COLUMNS",
    "ONLINE_PERIOD_COLUMNS",
    "QUARTERS",
    "SCHEMAS",
    "SCHEMA_BY_NAME",
    "SEED_TABLE",
    "SeedData",
    "SeedError",
    "SeedIssue",
    "TOTAL_LABEL",
    "bureau_rows",
    "dx_selection_departments",
    "load_seed",
    "main",
    "read_online_procedures",
    "read_seed_frame",
    "seed_entities",
    "seed_store",
]
