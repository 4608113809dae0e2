"""``python -m sosverify``: the ``sosverify`` command."""

import sys

from sosverify.cli import main

sys.exit(main())
