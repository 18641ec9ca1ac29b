"""``python -m services.online_procedures``: the command-line interface
(:mod:`services.online_procedures.cli`)."""

import sys

from services.online_procedures.cli import main

sys.exit(main())
