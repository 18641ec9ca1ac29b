"""``python -m services.people``: the command-line interface (:mod:`services.people.cli`)."""

import sys

from services.kernel.privacy import install_log_masking
from services.people.cli import main

install_log_masking()  # no My Number reaches a log line, whatever logs it
sys.exit(main())
