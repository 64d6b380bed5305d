"""``python -m hdnet``: the same as the ``hdnet`` command."""

import sys

from .apps.cli import main

sys.exit(main())
