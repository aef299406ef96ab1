"""``python -m crawler`` is the ``newsmon`` command."""

import sys

from crawler.commands.cli import main

if __name__ == "__main__":
    sys.exit(main())
