"""``python -m appliance`` is the ``wabbit`` command."""

import sys

from appliance.cli import main

sys.exit(main())
