"""python -m salt_core: see salt_core/cli.py."""

import sys

from salt_core.cli import main

sys.exit(main())
