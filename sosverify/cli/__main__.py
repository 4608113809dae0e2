"""``python -m sosverify.cli``."""

import sys

from sosverify.cli import main

sys.exit(main())
