"""The `optbench` command line: argv → specs → optbench.api, errors → exit code 2.

Each command lives in its own `*_cmd.py` module exposing `register(app)`; this file only wires
them together and owns the one place where errors become messages and exit codes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading

import typer
from rich.console import Console
from rich.text import Text

from optbench.core.errors import OptbenchError

try:  # recent typer vendors its own click; older ones use the click package
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException
from typer import Abort, Exit

app = typer.Typer(
    name="optbench",
    help="Fair, fast, reproducible studies of how neural networks train.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}
err_console = Console(stderr=True)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Fair, fast, reproducible studies of how neural networks train."""
    _state["debug"] = debug


def _register_commands() -> None:
    if app.registered_commands:
        return  # main() may run several times in one process (tests)
    from optbench.cli import COMMAND_MODULES

    for module in COMMAND_MODULES:
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; map optbench errors to one clear message and exit code 2."""
    _register_commands()
    try:
        code = app(args=argv, standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into a return value in non-standalone mode
            raise KeyboardInterrupt
        if isinstance(code, int) and code:  # typer.Exit(code) from a command, in that mode
            return code
    except OptbenchError as exc:
        if _state["debug"]:
            err_console.print_exception()
        message = Text("Error: ", style="bold red") + Text(str(exc))
        err_console.print(message, highlight=False, soft_wrap=True)
        return exc.exit_code
    except (Abort, KeyboardInterrupt):
        err_console.print("Aborted. Finished epochs are saved; run the same command to resume.")
        return 130
    except ClickException as exc:
        exc.show()
        return 2
    except Exit as exc:
        return exc.exit_code
    return 0


def run() -> None:
    """The console script: `main()`, then exit.

    Once torch is imported, the interpreter's teardown takes ~0.5 s (finalising modules and
    torch's C++ state), and nothing of ours needs it: every file is written and closed, or
    atomically renamed, before `main` returns. So the process leaves at once after flushing,
    unless something may still need an orderly exit: a Ray session, a thread, a child process.
    Measured gain: 0.63 s on the README command (benchmarks/results/tricks.md).
    """
    code = main()
    if _nothing_left_running():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe (`optbench ... | head`): nothing more can be written
            pass
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def _nothing_left_running() -> bool:
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return False
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    return not others and not multiprocessing.active_children()


if __name__ == "__main__":
    run()
