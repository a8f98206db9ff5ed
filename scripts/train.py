"""Train a network on a CSV file (or a bundled dataset) and publish it to the model store.

Usage, from the repository root: ``python scripts/train.py [options]`` (``--help`` lists them);
the same command is installed as ``mlp-train``. The implementation is ``model.cli``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    try:
        from model.cli import main
    except ModuleNotFoundError:  # a checkout that was not pip-installed: use the repository root
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from model.cli import main
    sys.exit(main())
