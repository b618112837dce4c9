"""Monitor: a Callback that reports each symptom once per trial and applies the stop policy."""

from __future__ import annotations

from optbench.core.specs import Finding
from optbench.diagnose.cause import root_cause
from optbench.diagnose.codes import CODES
from optbench.diagnose.history import History
from optbench.engine import Callback, TrialContext


class Monitor(Callback):
    """Base class of the runtime monitors.

    A monitor reads the shared `history`, and reports through `finding()`, which fills in
    severity and fix from the catalogue, keeps one finding per code per trial (the first, when
    the symptom appeared), names the earlier finding of the trial that explains it (its root
    cause, diagnose.cause) and gives that cause's fix instead of its own, and ends the trial
    when the code is in the stop policy.
    """

    def __init__(self, history: History, stop_on: frozenset[str] = frozenset()) -> None:
        self.history = history
        self.stop_on = stop_on
        self.reported: dict[str, Finding] = {}

    def cause(self, ctx: TrialContext, code: str) -> Finding | None:
        """The root cause of `code` among the findings already raised in this trial, if any."""
        probe = Finding(code, CODES.get(code).severity, "", "")
        root = root_cause(probe, ctx.findings)
        return None if root is probe else root

    def finding(
        self, ctx: TrialContext, code: str, message: str, epoch: int | None = None
    ) -> list[Finding]:
        """[the Finding] the first time `code` is raised in this trial, [] after that.

        `epoch` defaults to the epoch running now; 0 means "at initialisation".
        """
        if code in self.reported:
            return []
        info = CODES.get(code)
        fix = info.fix
        cause = self.cause(ctx, code)
        if cause is not None:
            when = "before training" if not cause.epoch else f"epoch {cause.epoch}"
            message = f"{message} This follows from `{cause.code}` ({when})."
            fix = f"Address `{cause.code}` first: {cause.fix}"
        found = Finding(
            code=code,
            severity=info.severity,
            message=message,
            fix=fix,
            trial_id=ctx.spec.id,
            epoch=self.history.epoch + 1 if epoch is None else epoch,
        )
        self.reported[code] = found
        if code in self.stop_on and ctx.stop_reason is None:
            ctx.stop_reason = code
        return [found]
