"""StudySpec → TrialSpecs: every optimizer grid point × every seed, hyperparameters resolved."""

from __future__ import annotations

from dataclasses import replace

from optbench.core.errors import ConfigError
from optbench.core.specs import HeadSpec, OptimizerSpec, StudySpec, TrialSpec
from optbench.optim import expand_optimizer_grid, resolve_optimizer


def expand(study: StudySpec) -> list[TrialSpec]:
    """One trial per (optimizer grid point, seed), seeds innermost so a seed's trials are paired.

    Hyperparameters are resolved to the full set of the chosen profile, so a trial's id changes
    whenever anything that affects its result changes (and only then).
    """
    trials: list[TrialSpec] = []
    heads = study.heads or (None,)
    for head in heads:
        model = (
            study.model
            if head is None
            else replace(study.model, head_units=head.units, head_activation=head.activation)
        )
        for opt in study.optimizers:
            for point in expand_optimizer_grid(opt):
                resolved = resolve_optimizer(point)
                label = point.label if head is None else _head_label(head, point, study)
                for seed in study.seeds:
                    trials.append(
                        TrialSpec(
                            dataset=study.dataset,
                            model=model,
                            optimizer=resolved,
                            seed=seed,
                            epochs=study.epochs,
                            batch_size=study.batch_size,
                            loss=study.loss if head is None else head.loss,
                            device=study.device,
                            optimizer_label=label,
                            task=study.task,
                            loss_source=study.loss_source if head is None else None,
                        )
                    )
    _check_unique(trials)
    return _chain_models(trials) if study.reuse_model else trials


def _chain_models(trials: list[TrialSpec]) -> list[TrialSpec]:
    """Homework mode: within a seed, each trial starts from the previous trial's final weights."""
    previous: dict[int, str] = {}
    chained: list[TrialSpec] = []
    for trial in sorted(trials, key=lambda t: t.seed):  # stable: optimizer order kept per seed
        link = replace(trial, init_from=previous.get(trial.seed))
        previous[trial.seed] = link.id
        chained.append(link)
    return chained


def _head_label(head: HeadSpec, point: OptimizerSpec, study: StudySpec) -> str:
    """In a head study the head is what is compared; the optimizer joins only if several."""
    several = len(study.optimizers) > 1 or any(
        len(expand_optimizer_grid(o)) > 1 for o in study.optimizers
    )
    return f"{head.label} / {point.label}" if several else head.label


def _check_unique(trials: list[TrialSpec]) -> None:
    seen: dict[str, TrialSpec] = {}
    for trial in trials:
        if trial.id in seen:
            raise ConfigError(
                f"Two entries of the study describe the same trial ({trial.label}). "
                "Remove the duplicate optimizer or seed."
            )
        seen[trial.id] = trial
