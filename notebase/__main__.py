"""``python -m notebase``: the same command line as the ``notebase`` script."""

import sys

from notebase.cli import main

sys.exit(main())
