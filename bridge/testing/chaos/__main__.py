"""``python -m bridge.testing.chaos``: the soak and the replay (see :mod:`.soak`)."""

import sys

from bridge.testing.chaos.soak import main

sys.exit(main())
