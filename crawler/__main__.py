"""``python -m crawler`` is the ``newsmon`` command."""

import sys

from crawler.cli import main

if __name__ == "__main__":
    sys.exit(main())
