"""`python -m optbench.native`: build optbench's compiled code now (setup.sh runs this).

Prints where the build is, or why there is none; exits 0 either way, since studies run
without it (on torch's autograd step and the optimizers' plain rules), unless `--require` is
given.
"""

from __future__ import annotations

import sys

from optbench.native import status


def main(argv: list[str]) -> int:
    result = status()
    if result.loaded:
        print(f"native code: {result.detail}")
        return 0
    print(f"native code not built ({result.detail}); studies use the Python paths")
    return 1 if "--require" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
