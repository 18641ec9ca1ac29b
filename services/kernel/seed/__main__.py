"""``python -m services.kernel.seed``: the command-line interface (:mod:`services.kernel.seed.cli`)."""

import sys

from services.kernel.seed.cli import main

sys.exit(main())
