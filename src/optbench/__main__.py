"""`python -m optbench`: the same as the `optbench` command."""

from optbench.cli.app import run

run()
