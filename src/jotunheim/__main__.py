"""`python -m jotunheim` runs the CLI."""

import sys

from jotunheim.cli.main import main

sys.exit(main())
