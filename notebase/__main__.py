import sys

from notebase.cli import main

sys.exit(main())
