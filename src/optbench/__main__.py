import sys

from optbench.cli.app import main

sys.exit(main())
