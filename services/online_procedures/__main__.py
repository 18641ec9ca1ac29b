"""``python -m services.online_procedures``: the command-line interface
(:mod:`services.online_procedures.cli`)."""

import sys

from services.kernel.privacy import install_log_masking
from services.online_procedures.cli import main

install_log_masking()  # no My Number reaches a log line, whatever logs it
sys.exit(main())
