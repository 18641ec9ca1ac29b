"""``python -m services.online_procedures``: the command-line interface."""

import sys

from services.kernel.privacy import install_log_masking
from services.online_procedures.service import main

install_log_masking()  # no My Number reaches a log line, whatever logs it
sys.exit(main())
