"""optbench's compiled code: built once per machine, optional, one library.

Every `.cpp` file here is a part of it: `mlp_step.cpp`, the whole training step of an MLP
replica group (engine/group_step.py), and `updates.cpp`, the update kernels of the optimizers
torch has no fast kernel for (optim/native_update.py). They are compiled together with the
system's C++ compiler against the installed torch, the first time they are asked for (`bash
setup.sh` does that, so a study never waits for it), into `~/.cache/optbench/native/<key>/`,
keyed by the sources, torch's version, Python, this CPU and the compiler flags: a build is
only ever loaded where it was made. The ops register as `torch.ops.optbench.*`.

The flags keep the arithmetic exactly the written operations: `-O3 -march=native` vectorises
the loops for this CPU, `-ffp-contract=off` (ISO C++ mode's default, spelled out) keeps the
compiler from fusing a multiply and an add into one rounding, and `-fno-math-errno` only lets
a square root skip setting errno (so its loops vectorise; the root is IEEE's either way). No
fast-math.

Without a compiler the library is simply absent: groups train on torch's autograd step and
optimizers on their plain rules, equal up to float32 round-off. Who may use it is the caller's
choice (a study's `native` flag, carried by its options and optimizers); each trial's numerics
configuration says which compiled code ran (`env.numerics`: `step`, `update`, `native_build`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

FOLDER = Path(__file__).parent
SOURCES = tuple(sorted(FOLDER.glob("*.cpp")))  # every part of the one library
LIBRARY = "optbench_native.so"


@dataclass(frozen=True)
class NativeStatus:
    """Whether the library is loaded, and if not, why not (said in `optbench doctor`)."""

    loaded: bool
    detail: str  # the library's path, or what stopped it


def op(name: str) -> Callable[..., Any] | None:
    """`torch.ops.optbench.<name>` where the library loads, else None."""
    return getattr(torch.ops.optbench, name) if status().loaded else None


def mlp_train_step() -> Callable[..., tuple[torch.Tensor, torch.Tensor]] | None:
    """`torch.ops.optbench.mlp_train_step` where the library loads, else None."""
    return op("mlp_train_step")


@functools.cache
def status() -> NativeStatus:
    """This process's library: loaded once (built first if this machine has none yet)."""
    return load()


def load() -> NativeStatus:
    """Build if needed (~20 s) and load; what went wrong becomes the status's detail."""
    try:
        path = build()
        torch.ops.load_library(str(path))
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return NativeStatus(False, _reason(exc))
    return NativeStatus(True, str(path))


def build() -> Path:
    """The library for this machine, compiled unless it already is; returns its path."""
    folder = cache_folder() / _key()
    library = folder / LIBRARY
    if library.exists():
        return library
    compiler = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if compiler is None:
        raise OSError("no C++ compiler found (install g++, or set CXX)")
    folder.mkdir(parents=True, exist_ok=True)
    # Built beside its final name and renamed: processes that build at once never load half
    # a file, and an interrupted build leaves nothing behind that looks finished.
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        partial = Path(scratch) / LIBRARY
        result = subprocess.run(
            [compiler, *_flags(), *map(str, SOURCES), "-o", str(partial), *_link_flags()],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"the compiler failed: {_last_line(result.stderr)}")
        os.replace(partial, library)
    return library


def cache_folder() -> Path:
    """Per user, beside (not inside) the dataset cache, which a study may move elsewhere."""
    return Path.home() / ".cache" / "optbench" / "native"


# torch's headers and libraries, where torch.utils.cpp_extension finds them (importing that
# module costs ~0.1 s, and every study computes the build's key).
TORCH_ROOT = Path(torch.__file__).resolve().parent
INCLUDE_DIRS = [
    TORCH_ROOT / "include",
    TORCH_ROOT / "include" / "torch" / "csrc" / "api" / "include",
]
LIBRARY_DIRS = [TORCH_ROOT / "lib"]


def _flags() -> list[str]:
    abi = int(torch.compiled_with_cxx11_abi())
    includes = [f"-isystem{p}" for p in INCLUDE_DIRS]
    # -march=native: the small loops vectorise for this CPU (the build is keyed by it, below).
    # -ffp-contract=off: a*b + c stays two roundings, as written (no FMA contraction).
    # -fno-math-errno: std::sqrt need not set errno, so loops with a square root vectorise
    # (the same correctly rounded root; without it the update kernels ran 10× slower).
    return [
        "-O3",
        "-march=native",
        "-std=c++17",
        "-ffp-contract=off",
        "-fno-math-errno",
        "-shared",
        "-fPIC",
        f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
        *includes,
    ]


def _link_flags() -> list[str]:
    folders = LIBRARY_DIRS
    return [
        *(f"-L{p}" for p in folders),
        *(f"-Wl,-rpath,{p}" for p in folders),
        "-lc10",
        "-ltorch_cpu",
    ]


def build_key() -> str:
    """This machine's build (in the numerics configuration of every trial that runs it)."""
    return _key()


def _key() -> str:
    """Sources, torch, Python, CPU and flags: a build made for anything else is never used."""
    parts = [source.read_bytes() for source in SOURCES]
    parts += [torch.__version__.encode(), sys.version.encode()]
    parts += [platform.machine().encode(), _cpu_flags().encode(), " ".join(_flags()).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _cpu_flags() -> str:
    try:
        first_cpu = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        return platform.processor()
    keys = ("flags", "Features", "model name")
    return "\n".join(line for line in first_cpu.splitlines() if line.startswith(keys))


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
