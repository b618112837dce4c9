"""The native training step of MLP replica groups: built once per machine, optional.

`mlp_step.cpp` runs a whole group's step in one call (engine/group_step.py uses it when it is
there). It is compiled with the system's C++ compiler against the installed torch, the first
time it is asked for (`bash setup.sh` does that, so a study never waits for it), into
`~/.cache/optbench/native/<key>/`, keyed by the source, torch's version and this CPU: a build
is only ever loaded where it was made. Without a compiler, or with `--no-native`, groups train
on torch's autograd step: the same arithmetic, equal up to float32 round-off. Each trial's
numerics configuration says which step ran (`env.numerics.step`).
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

import torch

SOURCE = Path(__file__).with_name("mlp_step.cpp")
LIBRARY = "mlp_step.so"


@dataclass(frozen=True)
class NativeStatus:
    """Whether the native step is loaded, and if not, why not (said in `optbench doctor`)."""

    loaded: bool
    detail: str  # the library's path, or what stopped it


def mlp_train_step() -> Callable[..., tuple[torch.Tensor, torch.Tensor]] | None:
    """`torch.ops.optbench.mlp_train_step` where the native step loads, else None."""
    return torch.ops.optbench.mlp_train_step if status().loaded else None


@functools.cache
def status() -> NativeStatus:
    """This process's native step: loaded once (built first if this machine has none yet)."""
    return load()


def load() -> NativeStatus:
    """Build if needed (~10 s) and load; what went wrong becomes the status's detail."""
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
            [compiler, *_flags(), str(SOURCE), "-o", str(partial), *_link_flags()],
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
    return [
        "-O3",
        "-march=native",
        "-std=c++17",
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
    """This machine's build of the native step (in every trial's numerics configuration)."""
    return _key()


def _key() -> str:
    """Source, torch, Python and CPU: a build made for anything else is never picked up."""
    parts = [SOURCE.read_bytes(), torch.__version__.encode(), sys.version.encode()]
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
