"""``python -m r2c_clouds``: the same as the ``r2c`` command."""

import sys

from r2c_clouds.cli import main

if __name__ == "__main__":
    sys.exit(main())
