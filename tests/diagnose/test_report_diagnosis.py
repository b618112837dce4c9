"""The report shows findings grouped under their root cause, and revises a verdict the run
later disproved (issue 19): real trials with the monitors, stored, then reported."""

from __future__ import annotations

import json

from diagnose_suite import FAULTY, run_setup, trial_spec
from test_depth_and_verdicts import SLOW_START

from optbench.api import open_study, parse_study
from optbench.core.specs import TrialStarted
from optbench.report.markdown import render_markdown
from optbench.store import Store

LR10 = next(s for s in FAULTY if s.name == "sgd-lr10-diverges")


def test_the_report_groups_consequences_and_revises_a_recovered_verdict(
    tmp_path, suite_data
) -> None:
    outcomes = [run_setup(s, suite_data) for s in (LR10, SLOW_START)]
    assert any(
        f.code == "train.acc_at_chance" or f.code == "grad.vanishing" for f in outcomes[1].findings
    ), "the slow start should raise a verdict to revise"
    store = Store(tmp_path / "study.sqlite")
    study = parse_study({"name": "causes", "dataset": "digits", "optimizers": ["adam"]})
    store.set_meta("name", "causes")
    store.set_meta("study", json.dumps(study.to_dict()))
    store.set_meta("dataset", json.dumps(suite_data.get(LR10).info()))
    specs = [trial_spec(o.setup) for o in outcomes]
    store.set_meta("trial_ids", json.dumps([s.id for s in specs]))
    for position, (spec, outcome) in enumerate(zip(specs, outcomes, strict=True)):
        store.add_trial(spec, position)
        store.start_trial(TrialStarted(spec.id, "0" * 16, 2.3, {}))
        for record in outcome.records:
            store.add_epoch(record)
        store.finish_trial(outcome.result)
    store.close()
    report = render_markdown(open_study(tmp_path))
    findings = report[report.index("## Findings") :]
    diverged = next(line for line in findings.splitlines() if "`train.diverged`" in line)
    assert diverged.startswith("- **error** `train.diverged`") and "*Explains:*" in diverged
    assert "`opt.update_ratio_low`" in diverged and "`act.dying_relu`" in diverged
    assert "***Revised:*** the run recovered by epoch" in findings
    assert "This follows from" not in diverged  # said once, by the grouping
    summary = report[: report.index("## Findings")]
    assert "train.acc_at_chance" not in summary  # a revised verdict is not called out
