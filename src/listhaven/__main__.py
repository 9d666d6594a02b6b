"""`python -m listhaven` is the `listhaven` command."""

import sys

from listhaven.cli import main

sys.exit(main())
