"""Measured cards, kept per machine: `optbench optimizers` answers without importing torch.

Measuring a card takes real steps on a real model, so it needs torch (~1.4 s to import) and
another ~1.5 s for the default set. What it measures depends only on the code that measures
(optbench's `optim` package, and the native update kernels some of its optimizers step on),
on torch (its version file, which names the build), on Python's version, the profile and the
dtype; so the first run on a machine measures and keeps the cards
in `<cache>/cards/<key>.json`, keyed by a hash of all of those, and later runs read them back.
Any change to one of them is a new key, so a stale card is never shown (one exception: whether
the native code is built is not known without torch, so cards measured on a machine before its
first build show the plain rules' temporaries until `--remeasure`). Cards of your own optimizer
classes (`mypkg.optim:Lion`) are always measured afresh: their code is not hashed.

A cache that cannot be read is measured again; one that cannot be written only costs the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optbench.core.specs import Profile
from optbench.core.startup import import_quietly
from optbench.optim.cards import OptimizerCard, card_from_dict, card_to_dict
from optbench.optim.parse import format_optimizer, parse_optimizer

FORMAT = 1  # bump when the cached fields change meaning
DTYPE = "float32"  # the CLI's cards; other dtypes are measured by optim.probe directly
_OPTIM = Path(__file__).parent
_NATIVE = _OPTIM.parent / "native"


def cached_cards(
    texts: Sequence[str] | None,
    profile: Profile,
    cache_dir: Path | None,
    *,
    remeasure: bool = False,
) -> list[OptimizerCard]:
    """Cards for `texts` (default: every registry entry plus the variants), in that order:
    from the cache where it holds them, measured and added to it where it does not."""
    specs = None if texts is None else [parse_optimizer(t, profile) for t in texts]
    if cache_dir is None or any(":" in s.name for s in specs or ()):  # an import path
        return measure(texts, profile)
    path = cache_path(cache_dir, profile)
    stored = {} if remeasure else read_cache(path)
    cards: dict[str, Any] = dict(stored.get("cards", {}))
    default = stored.get("default")
    if specs is None:
        if default is None:
            default = _measure_into(cards, None, profile)
        labels = list(default)
    else:
        labels = [format_optimizer(s) for s in specs]
        missing = [t for t, label in zip(texts or (), labels, strict=True) if label not in cards]
        if missing:
            _measure_into(cards, missing, profile)
    if cards != stored.get("cards") or default != stored.get("default"):
        _write(path, {"format": FORMAT, "default": default, "cards": cards})
    return [card_from_dict(cards[label]) for label in labels]


def measure(texts: Sequence[str] | None, profile: Profile) -> list[OptimizerCard]:
    """Cards measured now (imports torch, with the collector paused)."""
    probe = import_quietly("optbench.optim.probe")
    return probe.optimizer_cards(texts, profile=profile)


def _measure_into(
    cards: dict[str, Any], texts: Sequence[str] | None, profile: Profile
) -> list[str]:
    """Measure `texts` into `cards` (label → card dict); return their labels in order."""
    fresh = measure(texts, profile)
    cards.update({c.label: card_to_dict(c) for c in fresh})
    return [c.label for c in fresh]


def cache_path(cache_dir: Path, profile: Profile) -> Path:
    return Path(cache_dir) / "cards" / f"{cache_key(profile)}.json"


def cache_key(profile: Profile) -> str:
    """A hash of everything a measured card depends on (see the module docstring)."""
    digest = hashlib.sha256()
    meta = [FORMAT, profile, DTYPE, list(sys.version_info[:2]), _torch_build()]
    digest.update(json.dumps(meta).encode())
    for file in sorted(_OPTIM.rglob("*.py")):
        digest.update(file.relative_to(_OPTIM).as_posix().encode())
        digest.update(file.read_bytes())
    for file in sorted(_NATIVE.glob("*.cpp")):  # the update kernels some optimizers step on
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:24]


def _torch_build() -> str:
    """The SHA-256 of torch's version.py (its version and git revision), found, not imported."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return "no torch"
    version = Path(spec.origin).with_name("version.py")
    return hashlib.sha256(version.read_bytes()).hexdigest() if version.is_file() else spec.origin


def read_cache(path: Path) -> dict[str, Any]:
    """The stored cards, or {} when there are none or they cannot be read as this format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and data.get("format") == FORMAT
    return data if ok and isinstance(data.get("cards"), dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename); a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
