"""Findings grouped under their root cause; advice that never contradicts a co-occurring finding.

Issue 19: after a run diverged with lr = 10, and on a network whose units are all dead,
`opt.update_ratio_low` told the user to raise the learning rate. A finding that follows from
another is now grouped under it ("diverged" explains "update ratio", "dead units" explains
"loss frozen"), carries the cause's fix, and does not repeat its own contrary advice.
"""

from __future__ import annotations

import itertools

import pytest
from diagnose_suite import FAULTY, run_setup
from hypothesis import given, settings
from hypothesis import strategies as st

from optbench.core.specs import Finding
from optbench.diagnose import CODES

LR10 = next(s for s in FAULTY if s.name == "sgd-lr10-diverges")
DEAD = next(s for s in FAULTY if s.name == "negative-bias-dying-relu")


def _finding(code: str, epoch: int | None = 1) -> Finding:
    info = CODES.get(code)
    return Finding(code, info.severity, f"{code} happened", info.fix, "t", epoch)


@pytest.mark.parametrize(("setup", "cause"), [(LR10, "train.diverged"), (DEAD, "act.dying_relu")])
def test_the_cause_comes_first_and_its_consequences_follow_it(setup, cause, suite_data) -> None:
    from optbench.diagnose import group_findings

    outcome = run_setup(setup, suite_data)
    groups = group_findings([f for f in outcome.findings if f.trial_id is not None])
    assert groups[0].root.code == cause
    follows = {f.code for f in groups[0].follows}
    assert follows, "the symptoms should be grouped under the cause"
    for group in groups:
        assert group.root.code not in ("opt.update_ratio_low", "train.loss_frozen")


@pytest.mark.parametrize("setup", [LR10, DEAD], ids=lambda s: s.name)
def test_no_finding_tells_the_user_to_raise_the_lr_when_the_cause_says_lower(
    setup, suite_data
) -> None:
    outcome = run_setup(setup, suite_data)
    for f in outcome.findings:
        text = f"{f.message} {f.fix}".lower()
        assert "raise the learning rate" not in text, f"{f.code}: {text}"
        assert "learning rate is too low" not in text, f"{f.code}: {text}"
    low = [f for f in outcome.findings if f.code == "opt.update_ratio_low"]
    for f in low:  # when it appears at all, it names its cause
        assert "train.diverged" in f.message or "act.dying_relu" in f.message


def test_the_cause_graph_has_no_cycles() -> None:
    from optbench.diagnose.cause import EXPLAINS

    for start in EXPLAINS:
        seen, todo = set(), [start]
        while todo:
            code = todo.pop()
            for nxt in EXPLAINS.get(code, ()):
                assert nxt != start, f"{start} explains itself through {code}"
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
    for code, consequences in EXPLAINS.items():
        assert code in CODES and all(c in CODES for c in consequences)


@settings(max_examples=300, deadline=None)
@given(st.sets(st.sampled_from(sorted(CODES.names())), min_size=1, max_size=8))
def test_root_causes_never_give_contradicting_learning_rate_advice(codes) -> None:
    from optbench.diagnose import group_findings

    groups = group_findings([_finding(c) for c in sorted(codes)])
    directions = {CODES.get(g.root.code).lr for g in groups} - {None}
    assert len(directions) <= 1, [g.root.code for g in groups]
    assert sum(1 + len(g.follows) for g in groups) == len(codes)  # nothing lost or doubled


def test_both_learning_rate_directions_are_in_the_catalogue() -> None:
    from optbench.diagnose.cause import EXPLAINS

    advising = sorted(c.code for c in CODES if c.lr is not None)
    directions = {CODES.get(c).lr for c in advising}
    assert directions == {"lower", "raise"}
    assert any(a in EXPLAINS and b in EXPLAINS[a] for a, b in itertools.permutations(advising, 2))


def test_unknown_codes_stand_on_their_own() -> None:
    from optbench.diagnose import group_findings

    odd = Finding("train.slow_progress", "warning", "slow", "wait", "t", 3)
    (group,) = group_findings([odd])
    assert group.root is odd and group.follows == []
