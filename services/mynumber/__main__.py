"""``python -m services.mynumber``: the command-line interface."""

import sys

from services.mynumber.cli import main

sys.exit(main())
