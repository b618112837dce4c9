"""The runtime monitors, one per file, in the order they run after the shared History."""

from optbench.diagnose.monitors.chance import ChanceAccuracyMonitor
from optbench.diagnose.monitors.divergence import DivergenceMonitor
from optbench.diagnose.monitors.dying_relu import DyingReluMonitor
from optbench.diagnose.monitors.gradients import GradientMonitor
from optbench.diagnose.monitors.initial_loss import InitialLossMonitor
from optbench.diagnose.monitors.loss_trend import LossTrendMonitor
from optbench.diagnose.monitors.nan import NonFiniteMonitor
from optbench.diagnose.monitors.overfitting import OverfittingMonitor
from optbench.diagnose.monitors.saturation import SaturationMonitor
from optbench.diagnose.monitors.update_ratio import UpdateRatioMonitor

# Causes before their consequences (diagnose.cause): a monitor names a finding raised earlier
# in the same epoch as its cause, so dead units are reported before the tiny updates they
# produce, and both before "loss frozen" and "at chance".
MONITORS = (
    NonFiniteMonitor,
    InitialLossMonitor,
    DivergenceMonitor,
    DyingReluMonitor,
    SaturationMonitor,
    GradientMonitor,
    UpdateRatioMonitor,
    LossTrendMonitor,
    ChanceAccuracyMonitor,
    OverfittingMonitor,
)

__all__ = [
    "MONITORS",
    "ChanceAccuracyMonitor",
    "DivergenceMonitor",
    "DyingReluMonitor",
    "GradientMonitor",
    "InitialLossMonitor",
    "LossTrendMonitor",
    "NonFiniteMonitor",
    "OverfittingMonitor",
    "SaturationMonitor",
    "UpdateRatioMonitor",
]
