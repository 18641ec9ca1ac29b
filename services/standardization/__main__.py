"""``python -m services.standardization``: the command-line interface."""

import sys

from services.kernel.privacy import install_log_masking
from services.standardization.cli import main

install_log_masking()  # no My Number reaches a log line, whatever logs it
sys.exit(main())
