"""``python -m tooling``: the ``walnats`` command without the console script."""

from tooling._cli import main

raise SystemExit(main())
