"""``python -m services.online_procedures``: the command-line interface."""

import sys

from services.online_procedures.service import main

sys.exit(main())
