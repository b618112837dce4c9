"""`python -m optbench.engine.native`: build the native step now (setup.sh runs this).

Prints where the build is, or why there is none; exits 0 either way, since studies run
without it (on the Python path), unless `--require` is given.
"""

from __future__ import annotations

import sys

from optbench.engine.native import status


def main(argv: list[str]) -> int:
    result = status()
    if result.loaded:
        print(f"native training step: {result.detail}")
        return 0
    print(f"native training step not built ({result.detail}); studies use the Python step")
    return 1 if "--require" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
