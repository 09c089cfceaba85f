"""``python -m salonflow_demo``: the demo of ``make demo``."""

import sys

from salonflow_demo.run import main

sys.exit(main())
