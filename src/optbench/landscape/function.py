"""2-D test functions for optimizer trajectories, and user functions by import path.

Built-in functions take a tensor of shape [..., 2] (one point or a batch of points) and return
shape [...]: one evaluation then serves every trajectory of a run. A user function takes one
point of shape [2] and returns a scalar; it is batched with torch.func.vmap when it can be.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from optbench.core.errors import ConfigError
from optbench.core.imports import load_object
from optbench.core.registry import Registry

Point = tuple[float, float]
Bounds = tuple[tuple[float, float], tuple[float, float]]
_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class TestFunction:
    """A 2-D function with a default start, plotting bounds and its known minima.

    `fn` maps points [..., 2] → values [...]. `minima` may be empty (the saddle has none);
    then `escape_below` says when a trajectory has escaped (its value dropped that low).
    `log_levels` asks for log-spaced contour levels (for functions with huge dynamic range).
    """

    __test__ = False  # not a pytest test class, despite the name

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    start: Point
    bounds: Bounds | None
    minima: tuple[Point, ...] = ()
    min_value: float | None = None
    log_levels: bool = True
    escape_below: float | None = None
    description: str = ""

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        return self.fn(points)

    @property
    def title(self) -> str:
        return self.name.capitalize() if ":" not in self.name else self.name

    def nearest_minimum(self, point: Sequence[float]) -> tuple[Point | None, float]:
        """The closest known minimum and the Euclidean distance to it (None, nan if none)."""
        if not self.minima:
            return None, math.nan
        best = min(self.minima, key=lambda m: math.dist(m, point))
        return best, math.dist(best, point)


def _xy(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return p[..., 0], p[..., 1]


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    """(1 − x)² + 100·(y − x²)²: a curved, flat-bottomed valley; minimum 0 at (1, 1)."""
    x, y = _xy(p)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(p: torch.Tensor) -> torch.Tensor:
    """Beale's function: flat plateaus and steep walls; minimum 0 at (3, 0.5)."""
    x, y = _xy(p)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def rastrigin(p: torch.Tensor) -> torch.Tensor:
    """20 + Σ (t² − 10·cos 2πt): a bowl covered in local minima; global minimum 0 at (0, 0)."""
    x, y = _xy(p)
    two_pi = 2 * math.pi
    return 20 + x**2 - 10 * torch.cos(two_pi * x) + y**2 - 10 * torch.cos(two_pi * y)


def himmelblau(p: torch.Tensor) -> torch.Tensor:
    """(x² + y − 11)² + (x + y² − 7)²: four minima, all with value 0."""
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def saddle(p: torch.Tensor) -> torch.Tensor:
    """x² − y²: a saddle at the origin and no minimum; descent must escape along y."""
    x, y = _xy(p)
    return x**2 - y**2


QUADRATIC_CONDITION = 50.0


def quadratic(p: torch.Tensor) -> torch.Tensor:
    """½·(x² + κ·y²) with κ = 50: an ill-conditioned bowl (steep in y, shallow in x)."""
    x, y = _xy(p)
    return 0.5 * (x**2 + QUADRATIC_CONDITION * y**2)


HIMMELBLAU_MINIMA: tuple[Point, ...] = (
    (3.0, 2.0),
    (-2.805118, 3.131312),
    (-3.779310, -3.283186),
    (3.584428, -1.848126),
)

FUNCTIONS: Registry[TestFunction] = Registry("test function")


def _builtin(fn: Callable[[torch.Tensor], torch.Tensor], **kwargs: Any) -> None:
    """Register a built-in function under its Python name, with its docstring as description."""
    FUNCTIONS.register(
        fn.__name__, TestFunction(fn.__name__, fn, description=fn.__doc__ or "", **kwargs)
    )


_builtin(
    rosenbrock,
    start=(-1.5, 1.5),
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    minima=((1.0, 1.0),),
    min_value=0.0,
)
_builtin(
    beale, start=(0.5, 1.5), bounds=((-1.0, 4.5), (-1.5, 2.5)), minima=((3.0, 0.5),), min_value=0.0
)
_builtin(
    rastrigin,
    start=(2.3, -1.7),
    bounds=((-3.0, 3.0), (-3.0, 3.0)),
    minima=((0.0, 0.0),),
    min_value=0.0,
    log_levels=False,
)
_builtin(
    himmelblau,
    start=(0.0, -0.5),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=HIMMELBLAU_MINIMA,
    min_value=0.0,
)
_builtin(
    saddle,
    start=(1.5, 1e-3),
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    log_levels=False,
    escape_below=-1.0,
)  # no minimum: escaped once f <= -1
_builtin(
    quadratic,
    start=(-4.0, 1.0),
    bounds=((-5.0, 5.0), (-2.0, 2.0)),
    minima=((0.0, 0.0),),
    min_value=0.0,
)


def get_function(
    name: str,
    *,
    start: Point | None = None,
    bounds: Bounds | None = None,
    minima: Sequence[Point] | None = None,
) -> TestFunction:
    """A built-in function by name, or `module:function` imported; optionally re-started.

    For a user function, `minima` (if given) are where it is known to be smallest; its value
    there is computed. Without a `start`, a user function starts at (1, 1).
    """
    _check_points(start, bounds, minima)
    func = _load_user(name) if ":" in name else FUNCTIONS.get(name)
    changes: dict[str, object] = {}
    if start is not None:
        changes["start"] = (float(start[0]), float(start[1]))
    if bounds is not None:
        changes["bounds"] = bounds
    func = replace(func, **changes) if changes else func  # type: ignore[arg-type]
    _check_scalar(func)  # before the minima are evaluated: it says what a function must be
    if minima is not None:
        points = tuple((float(m[0]), float(m[1])) for m in minima)
        values = [_value_at(func, m) for m in points]
        func = replace(func, minima=points, min_value=min(values, default=None))
    return func


def _check_points(
    start: Point | None, bounds: Bounds | None, minima: Sequence[Point] | None
) -> None:
    """Start, bounds and minima must be finite numbers: `--start nan` used to be accepted and
    gave a run of NaNs; `--bounds 0,inf,…` a figure that cannot be drawn."""
    problems = []
    given = {"start": [start] if start else [], "bounds": list(bounds or []), "minimum": minima}
    for key, points in given.items():
        values = [float(v) for point in points or [] for v in point]
        if not all(math.isfinite(v) for v in values):
            problems.append(
                f"`{key}` must be finite numbers. Received: {key}={_show(points or [])}"
            )
    if problems:
        raise ConfigError.collect(problems, source="landscape settings")


def _show(points: Sequence[Sequence[float]]) -> str:
    return ";".join(",".join(f"{float(v):g}" for v in point) for point in points)


def _load_user(path: str) -> TestFunction:
    if not _IMPORT_PATH.match(path):
        raise ConfigError(
            f"Bad function import path {path!r}: write it as 'module.path:function', "
            "e.g. 'mypkg.funcs:bowl'."
        )
    fn = load_object(path, "function")
    if not callable(fn):
        raise ConfigError(f"'{path}' is not a function (it is {type(fn).__name__}).")
    return TestFunction(
        path,
        _batched(_reported(fn, path)),
        (1.0, 1.0),
        None,
        (),
        None,
        description=(fn.__doc__ or "").strip(),
    )


def _reported(
    fn: Callable[[torch.Tensor], torch.Tensor], path: str
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The user's function, whose own errors become a ConfigError naming it and the point
    (they used to end `landscape` with a traceback from inside the trajectory loop)."""

    def call(point: torch.Tensor) -> torch.Tensor:
        try:
            return fn(point)
        except Exception as exc:
            where = point.detach().tolist() if point.dim() == 1 else "a batch of points"
            raise ConfigError(
                f"Function '{path}' raised {type(exc).__name__}: {exc} at {where}. The error "
                "is in that function: it must take a float64 tensor of shape [2] and return "
                "a scalar tensor."
            ) from exc

    return call


def _batched(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Evaluate a one-point function on [2] or on a batch [n, 2] (vmap, else a loop)."""
    vmapped = torch.func.vmap(fn)
    use_vmap = [True]  # decided on the first batched call

    def call(points: torch.Tensor) -> torch.Tensor:
        if points.dim() == 1:
            return fn(points)
        if use_vmap[0]:
            try:
                return vmapped(points)
            except Exception:  # data-dependent Python control flow etc.: go point by point
                use_vmap[0] = False
        return torch.stack([fn(p) for p in points])

    return call


def _value_at(func: TestFunction, point: Point) -> float:
    with torch.no_grad():
        value = float(func(torch.tensor(point, dtype=torch.float64)))
    if not math.isfinite(value):
        raise ConfigError(
            f"Function '{func.name}' is {value} at the minimum {point} given (--minimum): a "
            "minimum needs a finite value. Check the point."
        )
    return value


def _check_scalar(func: TestFunction) -> None:
    """The function must map one point [2] to one number, differentiably."""
    try:
        out = func(torch.tensor(func.start, dtype=torch.float64))
    except ConfigError:  # the user's function raised: _reported said whose and where
        raise
    except Exception as exc:
        raise ConfigError(
            f"Function '{func.name}' failed at its start {func.start}: {exc!r}. It must take a "
            "float64 tensor of shape [2] and return a scalar tensor."
        ) from exc
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ConfigError(
            f"Function '{func.name}' must return a scalar tensor for a point of shape [2]; "
            f"it returned {shape}."
        )
