"""``python -m services.dx``: the command-line interface."""

import sys

from services.dx.cli import main

sys.exit(main())
