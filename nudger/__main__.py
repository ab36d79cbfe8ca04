"""`python -m nudger` runs the same CLI as the `nudger` console script."""

from nudger.cli import main

raise SystemExit(main())
