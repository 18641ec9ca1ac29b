"""``python -m services.standardization``: the command-line interface."""

import sys

from services.standardization.cli import main

sys.exit(main())
