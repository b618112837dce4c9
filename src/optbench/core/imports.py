"""Your own code by reference: `package.module:name` or `path/to/file.py:name`.

A study may name a model factory, a data loader or a loss of the user's. Both forms resolve to
one Python object; every problem (a path that does not exist, a module that fails to import or
raises while it loads, a missing name) is one ConfigError that says what to fix. Two more
things a reference gives:

* `where(ref)`: the absolute file behind it (a file path is resolved against the study file's
  folder, then the current folder), so worker processes, which may start elsewhere, load the
  same file;
* `source_digest(ref)`: a hash of that file's bytes. It is part of the trial's id: editing the
  model file makes new trials instead of resuming old ones under the new code.

Importing runs the module's code, as Python does; `optbench doctor` says which modules a study
will import.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from optbench.core.errors import ConfigError
from optbench.core.registry import suggest

_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_loaded_files: dict[Path, ModuleType] = {}
# Objects handed over directly (optbench.compare(model=build) in a notebook), by reference
# `object:<name>`: this process and the workers it forks see them; nothing else can import them.
OBJECT_PREFIX = "object"
_objects: dict[str, Any] = {}


def reference_to(obj: Any) -> tuple[str, str]:
    """A reference for an object the caller holds, and a hash of its source: an importable
    module's function as `module:name`, anything else (a notebook's) as `object:name-hash`."""
    import inspect

    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        source = repr(obj)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    if module and module != "__main__" and _NAME.match(name) and _MODULE.match(module):
        return f"{module}:{name}", digest
    safe = re.sub(r"\W", "_", name or "obj")
    ref = f"{OBJECT_PREFIX}:{safe}_{digest[:8]}"
    _objects[ref] = obj
    return ref, digest


def is_object_reference(ref: str) -> bool:
    return ref.startswith(f"{OBJECT_PREFIX}:")


def is_reference(text: str) -> bool:
    """`pkg.mod:name` or `file.py:name`: registry names never contain ':'."""
    return ":" in text


def split_reference(ref: str, what: str) -> tuple[str, str]:
    """(module or file, name), or a ConfigError showing both accepted forms."""
    left, sep, name = ref.rpartition(":")
    if not sep or not left or not _NAME.match(name):
        raise ConfigError(
            f"Bad {what} reference {ref!r}: write 'package.module:name' or "
            "'path/to/file.py:name', e.g. 'mynets:build' or 'models/cnn.py:build'."
        )
    return left, name


def is_file_reference(left: str) -> bool:
    return left.endswith(".py") or "/" in left or os.sep in left


def resolve_file(left: str, base: Path | None) -> Path:
    """The absolute file a `file.py:name` reference names (study folder first, then cwd)."""
    path = Path(left).expanduser()
    candidates = [path] if path.is_absolute() else [*([base / path] if base else []), path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"No such file for {left!r} (looked for {tried}). Check the path.")


def load_object(ref: str, what: str, base: Path | None = None) -> Any:
    """The object `ref` names; `what` ("model factory", …) words the errors."""
    if is_object_reference(ref):
        if ref not in _objects:
            raise ConfigError(
                f"The {what} was handed over as a Python object, which only the process that "
                "got it (and the workers it forks) can use. Give it as 'module:name' or "
                "'file.py:name' to run it elsewhere (spawned workers, Ray)."
            )
        return _objects[ref]
    left, name = split_reference(ref, what)
    module = (
        _load_file(resolve_file(left, base), ref, what)
        if is_file_reference(left)
        else (_import_module(left, ref, what))
    )
    found = getattr(module, name, None)
    if found is None:
        public = [n for n in vars(module) if not n.startswith("_")]
        hint = suggest(name, public)
        raise ConfigError(f"{module.__name__} has no '{name}' for the {what} {ref!r}.{hint}")
    return found


def where(ref: str, what: str, base: Path | None = None) -> Path | None:
    """The file that defines `ref` (None for a module without a file, or an object)."""
    if is_object_reference(ref):
        return None
    left, _ = split_reference(ref, what)
    if is_file_reference(left):
        return resolve_file(left, base)
    module = _import_module(left, ref, what)
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def source_digest(path: Path | None) -> str | None:
    """SHA-256 (16 hex digits) of the file's bytes."""
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _import_module(name: str, ref: str, what: str) -> ModuleType:
    if not _MODULE.match(name):
        raise ConfigError(
            f"Bad {what} reference {ref!r}: '{name}' is neither a module name nor a .py file."
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # as `python -m` does: modules beside you are found
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(
            f"Cannot import module '{name}' for the {what} {ref!r}: {exc}. Check the spelling, "
            "install the package, or run from the folder that holds it (or set PYTHONPATH)."
        ) from exc
    except (Exception, SystemExit) as exc:  # the user's module raised while it ran
        raise ConfigError(_raised(name, ref, what, exc)) from exc


def _load_file(path: Path, ref: str, what: str) -> ModuleType:
    if path in _loaded_files:
        return _loaded_files[path]
    unique = "optbench_user_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path} cannot be loaded as Python code for the {what} {ref!r}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module  # pickling its classes (dataclasses, workers) finds it here
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[unique]
        raise ConfigError(_raised(str(path), ref, what, exc)) from exc
    _loaded_files[path] = module
    return module


def _raised(name: str, ref: str, what: str, exc: BaseException) -> str:
    line = ""
    tb = exc.__traceback__
    while tb is not None:  # the deepest frame: where in the user's code it failed
        line = f" (line {tb.tb_lineno} of {tb.tb_frame.f_code.co_filename})"
        tb = tb.tb_next
    return (
        f"Loading {name} for the {what} {ref!r} raised {type(exc).__name__}: {exc}{line}. "
        "Fix the module so that it imports cleanly."
    )
