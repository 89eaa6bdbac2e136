"""``python -m toolkit …``: the ``unionkit`` command (where its script is not on the PATH)."""

from toolkit.cli import main

main()
