"""``python -m services.people``: the command-line interface."""

import sys

from services.people.service import main

sys.exit(main())
