"""``python -m verification.cli``: the same as the ``selu-verify`` console script."""
import sys

from verification.cli import main

sys.exit(main())
