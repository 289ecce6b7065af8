"""``python -m streamcall.cli``."""

import sys

from streamcall.cli import main

sys.exit(main())
