"""``python -m recsys``: see :mod:`recsys.cli`."""

from recsys.cli import main

raise SystemExit(main())
