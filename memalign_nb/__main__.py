"""``python -m memalign_nb`` runs the command line."""

from memalign_nb.cli import main

raise SystemExit(main())
