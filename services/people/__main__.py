"""``python -m services.people``: the command-line interface (:mod:`services.people.cli`)."""

import sys

from services.people.cli import main

sys.exit(main())
