"""``python -m services.dx``: the command-line interface."""

import sys

from services.dx.cli import main
from services.kernel.privacy import install_log_masking

install_log_masking()  # no My Number reaches a log line, whatever logs it
sys.exit(main())
