"""Fuzz the command line as a hostile user would: a clear message or a result, never a traceback.

    python benchmarks/fuzz_cli.py --examples 10000    # per target: 20,000 runs in all
    python benchmarks/fuzz_cli.py --examples 10000 --targets "study file (run)"  # one of them

Two targets, each run in this process through `optbench.cli.app.main`, exactly what the
`optbench` command runs:

- **CLI invocation**: a command (compare, run, resume, show, report, export, ls, verify,
  landscape, optimizers, explain, doctor, heads) with flags drawn from hostile values (empty,
  negative, NaN, huge, non-numbers, paths that are files, devices, /proc, FIFOs, folders of
  someone else's files, names with `..`, markup like `[/red]`) and valid ones, plus stray
  tokens.
- **study file**: a generated TOML study (keys with hostile or valid values, or byte-level
  mutations of a valid study) run with `optbench run FILE`.

A run passes when `main` returns 0, 1 (doctor's and verify's verdicts) or 2 (bad input) and
prints no traceback; an exception escaping `main` is what a user would see as a traceback,
and fails the run (hypothesis then shrinks it to a smallest example). `--debug` is never
generated: showing the traceback is its job.

What keeps 20,000 runs affordable and safe, by construction:
- values that scale work (epochs, seeds, sizes, workers, steps) are invalid or small, and
  `compare`/`heads` start from tiny-data flags that generated flags may override; accepted
  invocations therefore train tiny studies (they do train, store and report for real);
- `--executor ray` is generated only with addresses nobody answers at (no Ray is started);
- paths are relative to a sandbox (HOME, OPTBENCH_CACHE and the working folder inside it),
  beside a few special files that are safe (/dev/null, /dev/full, /dev/zero, and absent
  /proc and /sys entries): nothing is written outside the sandbox on purpose.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ctypes
import gzip
import io
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from fuzz import run_generated  # benchmarks/fuzz.py, beside this script
from hypothesis import strategies as st

from optbench.cli.app import main
from optbench.engine import native_status

ALLOWED_CODES = (0, 1, 2)
EXIT_CODES: collections.Counter[tuple[str, int]] = collections.Counter()

# -- values -----------------------------------------------------------------------------------

BAD_INTS = ["", " ", "x", "-1", "0", "1.5", "1e3", "nan", "99999999999999999999", "٣", "0x10"]
BAD_FLOATS = ["", "x", "nan", "inf", "-inf", "-1", "0", "1e309", "1e-320", "1,2"]
TEXT = st.text(max_size=40)
MARKUP = ["[/red]", "[bold]x", "[link=x]y[/link]", "%s%n", "{0}", "\\", "\x1b[31m", "ب\u200c"]


def _one(*pools: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([v for pool in pools for v in pool])


def _text_or(*pools: list[str]) -> st.SearchStrategy[str]:
    """Mostly the pools (where the interesting values are), sometimes any text."""
    return st.one_of(_one(*pools), _one(*pools), _one(*pools), TEXT)


# Relative to the sandbox's working folder (see make_sandbox), plus safe special files.
PATHS = [
    "",
    " ",
    ".",
    "..",
    "../..",
    "../../x",
    "out",
    "out/deep/er",
    "a_file",
    "a_file/x",
    "fifo",
    "not_study",
    "empty_dir",
    "study_done",
    "corrupt_study",
    "no/such/thing",
    "x" * 300,
    "dir with space",
    "ب",
    "[/red]x",
    "~",
    "~/x",
    "-",
    "--",
    "study_done/study.sqlite",
    "/dev/null",
    "/dev/full",
    "/dev/zero",
    "/proc/optbench-x",
    "/sys/kernel/optbench-x",
]
DATA_PATHS = [
    "data/mnist_good",
    "data/mnist_trunc",
    "data/mnist_empty",
    "data/good.npz",
    "data/pickled.npz",
    "data/garbage.npz",
    "data/pets",
    "data/pets/train",
    *PATHS,
]
OPTIMIZERS = [
    "adam",
    "sgd",
    "adam,sgd",
    "adam:lr=0.01",
    "adam:lr=-1",
    "adam:lr=nan",
    "adam:lr=inf",
    "adam:betas=0.9,0.99",
    "adam:betas=1.5,0.9",
    "sgd:momentum=0.9,nesterov=true",
    "sgd:nesterov=true",
    "adamm",
    "lars:lr=0",
    "adam:lrr=1",
    "adam:",
    ":",
    ",",
    "adam,,sgd",
    "anything_optim:Anything:tag=../../x",
    "anything_optim:Anything:tag=[/red]",
    "raising_at_import:Lion",
    "collections:OrderedDict",
    "nosuchpkg.x:Y",
    "torch.optim:SGD",
    "a.b:C:lr=1",
    "adam,adam",
    "adam:lr=1e-3,lr=1e-2",
    "rmsprop:alpha=1",
    "adagrad:eps=-1",
]
MODELS = [
    "mlp:16",
    "mlp:0",
    "mlp:-3",
    "mlpp:16",
    "mlp:16,activation=tanh",
    "mlp:16,activation=x",
    "mlp:16,8",
    "mlp:",
    "mlp:1000000000",
    "convnet",
    "",
    "mlp:16,init=keras",
    "mlp:16:32",
]
NAMES = ["../../x", "/tmp/optbench-fuzz-escape", ".", "..", "", " ", "a/b", "a\\b", "n" * 101]
SEEDS = ["0", "0,1", "1,1", "-1", "a,b", "", ",", "0,,1", "2147483648", "0;1"]
SMALL = ["1", "2"]
DEVICES = ["cpu", "cuda", "cuda:0", "cuda:x", "mps", "gpu", ""]
ADDRESSES = ["not an address", "127.0.0.1:1", "h:99999", "", "ray://", ":1", "[::1]:x"]
STOP_ON = ["nan_loss", "nann", "train.nan_loss,diverged", "", ",", "x.y"]


def _flag_values() -> dict[str, st.SearchStrategy[str] | None]:
    """Every flag of compare/run/heads/doctor (None: takes no value) and its values."""
    ints = _one(BAD_INTS, SMALL)
    return {
        "--dataset": _text_or(["digits", "mnist", "fashion-mnist", "mnsit", "image-folder", ""]),
        "--optimizers": _text_or(OPTIMIZERS),
        "--profile": _text_or(["torch", "keras", "tf", ""]),
        "--model": _text_or(MODELS),
        "--init": _text_or(["torch", "keras", "xavier"]),
        "--epochs": ints,
        "--batch-size": _one(BAD_INTS, ["16", "1", "10000001"]),
        "--seeds": _text_or(SEEDS),
        "--data-path": _one(DATA_PATHS),
        "--train-size": _one(BAD_INTS, ["64", "1", "100000000"]),
        "--test-size": _one(BAD_INTS, ["32", "1", "100000000"]),
        "--device": _text_or(DEVICES),
        "--workers": _one(BAD_INTS, ["1", "2", "5000"]),
        "--histogram-freq": _one(BAD_INTS, ["0", "1"]),
        "--stop-on": _text_or(STOP_ON),
        "--tune": _text_or(["lr", "", "momentum", "LR"]),
        "--lr-grid": _text_or(["0.01,0.1", "1e-3,1e-3", "0.01,1e-2", "0.1", "-1,1", "nan,1"]),
        "--executor": _one(["local", "slurm", "", "RAY", "ray "]),
        "--address": _one(ADDRESSES),
        "--name": _text_or(NAMES, MARKUP),
        "--out": _one(PATHS, MARKUP),
        "--max-trials": _one(BAD_INTS, ["1", "3", "10000000", "10000001"]),
        "--classes": _text_or(["0,1", "t-shirt,shirt", "3,3", "99", "", "cats"]),
        "--heads": _text_or(["1:sigmoid:bce", "2:softmax:cross_entropy", "1:softmax:bce", "x"]),
        "--size": _one(BAD_INTS, ["8", "2000"]),
        "--fail-on": _one(["error", "warning", "never", "x"]),
        "--scale": None,
        "--no-scale": None,
        "--no-monitors": None,
        "--no-stack": None,
        "--no-native": None,
        "--reuse-model": None,
        "--check": None,
        "--no-check": None,
    }


FLAGS = _flag_values()
COMPARE = [f for f in FLAGS if f not in ("--classes", "--heads", "--size", "--fail-on")]
COMPARE = [f for f in COMPARE if f not in ("--check", "--no-check")]
HEADS = ["--dataset", "--classes", "--model", "--heads", "--optimizer", "--epochs", "--seeds"]
HEADS += ["--data-path", "--train-size", "--test-size", "--size", "--name", "--out", "--device"]
DOCTOR = ["--dataset", "--classes", "--model", "--heads", "--profile", "--batch-size"]
DOCTOR += ["--data-path", "--size", "--fail-on"]
FLAGS["--optimizer"] = FLAGS["--optimizers"]
FLAGS["--seed"] = _one(BAD_INTS, SMALL)
TINY = ["--dataset", "digits", "--train-size", "96", "--test-size", "32", "--epochs", "1"]
TINY += ["--workers", "1", "--histogram-freq", "0"]
TINY_HEADS = ["--dataset", "digits", "--classes", "0,1", "--epochs", "1", "--train-size", "64"]
TINY_HEADS += ["--test-size", "32", "--no-check"]


def _flags(names: list[str], max_size: int = 5) -> st.SearchStrategy[list[str]]:
    def pair(name: str) -> st.SearchStrategy[list[str]]:
        values = FLAGS[name]
        return st.just([name]) if values is None else values.map(lambda v: [name, v])

    chosen = st.lists(st.sampled_from(names), min_size=1, max_size=max_size)
    return chosen.flatmap(lambda ns: st.tuples(*(pair(n) for n in ns))).map(
        lambda pairs: [token for p in pairs for token in p]
    )


def _with_junk(argv: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    """Sometimes a stray token (an unknown flag, a word, an empty string) goes in too."""
    junk = st.one_of(TEXT, st.sampled_from(["--no-such-flag", "-", "--", "-x", "--out="]))
    return st.one_of(
        argv,
        argv,
        argv,
        st.tuples(argv, junk, st.integers(0, 8)).map(
            lambda t: [*t[0][: t[2]], t[1], *t[0][t[2] :]]
        ),
    )


def _landscape() -> st.SearchStrategy[list[str]]:
    floats = _one(BAD_FLOATS, ["0.5", "1", "-1.5"])
    pairs = st.tuples(floats, floats).map(",".join) | _one(["", "1", "1,2,3", "nan,nan"])
    values: dict[str, st.SearchStrategy[str] | None] = {
        "--function": _text_or(
            [
                "rosenbrock",
                "beale",
                "rosenbrok",
                "fn_mod:bowl",
                "fn_mod:vector",
                "fn_mod:raises",
                "raising_at_import:f",
                "fn_mod:nothing",
                "os:getcwd",
                "a:b:c",
            ]
        ),
        "--optimizers": _text_or(OPTIMIZERS),
        "--steps": _one(BAD_INTS, ["1", "10", "100001"]),
        "--lr-range": pairs,
        "--lr-points": _one(BAD_INTS, ["2", "3", "101"]),
        "--tol": floats,
        "--clip": floats,
        "--start": pairs,
        "--minimum": pairs | pairs.map(lambda p: f"{p};{p}"),
        "--bounds": st.tuples(floats, floats, floats, floats).map(",".join),
        "--profile": _one(["torch", "keras", "tf"]),
        "--out": _one(PATHS, MARKUP),
        "--format": _one(["table", "markdown", "json", "x"]),
        "--tune-lr": None,
        "--no-gif": None,
    }

    def pair(name: str) -> st.SearchStrategy[list[str]]:
        v = values[name]
        return st.just([name]) if v is None else v.map(lambda x: [name, x])

    chosen = st.lists(st.sampled_from(list(values)), min_size=1, max_size=5)
    flags = chosen.flatmap(lambda ns: st.tuples(*(pair(n) for n in ns))).map(
        lambda ps: [t for p in ps for t in p]
    )
    return flags.map(lambda f: ["landscape", "--steps", "10", *f])


def _explain() -> st.SearchStrategy[list[str]]:
    nums = _one(BAD_FLOATS, ["1", "-2", "0.5"])
    vectors = st.lists(nums, min_size=0, max_size=4).map(",".join)
    values = {
        "--example": _one(["seed-q2", "tiny-mlp", "x", ""]),
        "--x": vectors,
        "--w": vectors,
        "--b": nums,
        "--y": nums,
        "--loss": _text_or(["mse", "bce", "cross_entropy", "msee"]),
        "--lr": nums,
        "--steps": _one(BAD_INTS, ["1", "3", "1000000"]),
        "--hidden-w": vectors | vectors.map(lambda v: f"{v};{v}"),
        "--hidden-b": vectors,
        "--hidden-activation": _text_or(["sigmoid", "relu", "tanh", "x"]),
        "--activation": _text_or(["sigmoid", "relu", "sigmoidd"]),
        "--format": _one(["text", "markdown", "latex", "json", "x"]),
        "--digits": _one(BAD_INTS, ["4", "100"]),
    }
    chosen = st.lists(st.sampled_from(list(values)), min_size=0, max_size=4)
    flags = chosen.flatmap(
        lambda ns: st.tuples(*(values[n].map(lambda v, n=n: [n, v]) for n in ns))
    ).map(lambda ps: [t for p in ps for t in p])
    return flags.map(lambda f: ["explain", *f])


def _stored() -> st.SearchStrategy[list[str]]:
    """Commands over stored studies: show, report, export, ls, resume, verify."""
    path = _one(PATHS)
    return st.one_of(
        st.tuples(_one(["show", "report", "resume", "ls"]), path).map(list),
        st.tuples(path, _one(["csv", "json", "xml", ""]), _one(PATHS, ["out.csv"])).map(
            lambda t: ["export", t[0], "--format", t[1], "--out", t[2]]
        ),
        st.tuples(path, _one(BAD_INTS, ["1"])).map(lambda t: ["verify", t[0], "--trials", t[1]]),
        st.tuples(_one(["table", "markdown", "json", "x"]), _text_or(OPTIMIZERS)).map(
            lambda t: ["optimizers", "--format", t[0], "--optimizer", t[1]]
        ),
    )


def _invocations() -> st.SearchStrategy[list[str]]:
    compare = _flags(COMPARE).map(lambda f: ["compare", *TINY, *f])
    run = st.tuples(
        _one(["studies/tiny.toml", "studies/heads.toml", "a_file", "fifo", "empty_dir", ""]),
        _flags(["--out", "--executor", "--address", "--max-trials"], 3),
    ).map(lambda t: ["run", t[0], *t[1]])
    heads = _flags(HEADS).map(lambda f: ["heads", *TINY_HEADS, *f])
    doctor = _flags(DOCTOR).map(lambda f: ["doctor", "--dataset", "digits", *f])
    doctor_file = _one(["studies/tiny.toml", "studies/imports.toml", "fifo"]).map(
        lambda p: ["doctor", p]
    )
    return _with_junk(
        st.one_of(
            compare,
            compare,
            compare,
            compare,
            run,
            heads,
            doctor,
            doctor_file,
            _landscape(),
            _landscape(),
            _explain(),
            _stored(),
            _stored(),
        )
    )


# -- study files ------------------------------------------------------------------------------

VALID_STUDY = {
    "name": "fuzz-valid",
    "epochs": 1,
    "seeds": [0],
    "workers": 1,
    "histogram_freq": 0,
    "dataset": {"name": "digits", "train_size": 96, "test_size": 32},
    "model": {"name": "mlp", "hidden": [16]},
    "optimizers": ["adam", {"name": "sgd", "lr": [0.01, 0.1]}],
}


def _study_values() -> dict[str, st.SearchStrategy[Any]]:
    anything = st.one_of(
        st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(), st.text(max_size=12)
    )
    return {
        "name": st.one_of(st.sampled_from(NAMES + MARKUP), st.text(max_size=20)),
        "epochs": st.sampled_from([1, 2, 0, -1, 100001, "1", 1.5, True]),
        "batch_size": st.sampled_from([16, 0, -5, 10**7 + 1, "x"]),
        "seeds": st.sampled_from([[0], [0, 1], [1, 1], [], [-1], 0, "0", [2**31], [0.5]]),
        "profile": st.sampled_from(["torch", "keras", "tf", ""]),
        "device": st.sampled_from(DEVICES),
        "executor": st.sampled_from(["local", "slurm", ""]),
        "workers": st.sampled_from([1, 2, 0, -1, 5000, "2"]),
        "tune": st.sampled_from(["lr", "", "x"]),
        "lr_grid": st.sampled_from([[0.01, 0.1], [0.01, 1e-2], [0.1], [], [-1, 1], "x"]),
        "max_trials": st.sampled_from([1, 3, 0, -1, 10**7, 10**8, "x"]),
        "stop_on": st.sampled_from([*STOP_ON, ["nan_loss"], [1]]),
        "loss": st.sampled_from(["cross_entropy", "bce", "mse", "x"]),
        "histogram_freq": st.sampled_from([0, 1, -1]),
        "reuse_model": st.booleans(),
        "stack": st.booleans(),
        "native": st.booleans(),
        "monitors": st.booleans(),
        "num_cpus": st.sampled_from([1, 0, -1, 2000]),
        "heads": st.sampled_from(
            [[], [{"units": 1, "activation": "sigmoid", "loss": "bce"}] * 2, [{"units": 0}], "x"]
        ),
        "dataset": st.sampled_from(
            [
                "digits",
                {"name": "digits", "train_size": 64, "test_size": 32},
                {"name": "digits", "train_size": 0},
                {"name": "mnist", "path": "data/mnist_empty"},
                {"name": "mnist", "path": "data/mnist_good"},
                {"name": "mnist", "path": "/dev/zero"},
                {"name": "image-folder", "path": "data/pets", "size": 8},
                {"name": "digits", "classes": [0, 0]},
                {"name": "x"},
                [],
            ]
        ),
        "model": st.sampled_from(
            ["mlp", {"name": "mlp", "hidden": [0]}, {"hidden": [10**9]}, {"name": "convnet"}, 5]
        ),
        "optimizers": st.lists(st.sampled_from(OPTIMIZERS), max_size=3)
        | st.just([{"name": "sgd", "lr": [0.01, 1e-2]}])
        | st.just([{"name": "adam", "lr": [1e-3] * 3}]),
        "address": st.sampled_from(ADDRESSES),
        "unknown": anything,
    }


def _study_text() -> st.SearchStrategy[bytes]:
    values = _study_values()
    keys = st.lists(st.sampled_from(list(values)), max_size=6, unique=True)
    tables = keys.flatmap(lambda ks: st.fixed_dictionaries({k: values[k] for k in ks})).map(
        lambda changes: _toml({**VALID_STUDY, **changes})
    )
    valid = tomli_w.dumps(VALID_STUDY).encode()
    flips = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=6)

    def mutate(edits: list[tuple[int, int]], cut: int) -> bytes:
        data = bytearray(valid)
        for at, value in edits:
            data[at] = value
        return bytes(data[:cut])

    mutated = st.builds(mutate, flips, st.integers(0, len(valid)))
    return st.one_of(tables, tables, tables, mutated)


def _toml(raw: dict[str, Any]) -> bytes:
    """TOML of the table; values TOML cannot hold (None, NaN keys…) fall back to text."""
    if raw.get("executor") == "ray":
        raw = {**raw, "address": "127.0.0.1:1"}  # never a real Ray: nobody answers there
    try:
        return tomli_w.dumps({k: v for k, v in raw.items() if v is not None}).encode()
    except (TypeError, ValueError):
        return repr(raw).encode()


# -- running ----------------------------------------------------------------------------------


LIBC = ctypes.CDLL("libc.so.6")  # Linux: the fuzzer runs where the tests run


def invoke(argv: list[str]) -> int:
    """`optbench ARGV` in this process; a traceback (an exception out of main, or one printed)
    or an unexpected exit code raises AssertionError."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    printed = out.getvalue() + err.getvalue()
    assert "Traceback" not in printed, printed[-3000:]
    assert code in ALLOWED_CODES, f"exit code {code!r}\n{printed[-3000:]}"
    EXIT_CODES[(argv[0] if argv else "", code)] += 1
    runs = sum(EXIT_CODES.values())
    if runs % 20 == 0:
        # glibc keeps what a study freed (~12 MB a trained study, measured) in its heap;
        # thousands of studies in one process would run out of memory without this.
        LIBC.malloc_trim(0)
    if runs % 500 == 0:
        print(f"  {runs} runs, 0 tracebacks so far", flush=True)
    return code


def run_study_file(data: bytes) -> int:
    path = Path("studies/generated.toml")
    path.write_bytes(data)
    return invoke(["run", str(path)])


TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], int]]] = {
    "CLI invocation": (_invocations(), invoke),
    "study file (run)": (_study_text(), run_study_file),
}


def fuzz(name: str, examples: int) -> int:
    """Run one target for `examples` generated inputs; return how many ran."""
    strategy, target = TARGETS[name]
    return run_generated(strategy, target, examples)


# -- the sandbox ------------------------------------------------------------------------------


def _idx(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _mnist(folder: Path, train: int = 64, cut: bool = False) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (32, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(32) % 10,
    }
    for name, array in arrays.items():
        data = gzip.compress(_idx(array), mtime=0)
        (folder / f"{name}.gz").write_bytes(data[: len(data) // 2] if cut else data)


def _npz(path: Path, pickled: bool = False) -> None:
    x, y = np.zeros((16, 28, 28), np.uint8), np.arange(16, dtype=np.uint8) % 10
    buffer = io.BytesIO()
    first = np.array([{"a": 1}], dtype=object) if pickled else x
    np.savez(buffer, x_train=first, y_train=y, x_test=x, y_test=y)
    path.write_bytes(buffer.getvalue())


def _pets(root: Path) -> None:
    from PIL import Image

    for split in ("train", "validation"):
        for name, color in {"cats": (200, 40, 40), "dogs": (30, 60, 220)}.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (12, 10), color).save(folder / f"{name}{i}.png")
    (root / "train" / "cats" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")


MODULES = {
    "raising_at_import.py": 'raise RuntimeError("boom at import")\n',
    "anything_optim.py": (
        "import torch\n\nclass Anything(torch.optim.SGD):\n"
        "    def __init__(self, params, lr=0.05, **extra):\n"
        "        super().__init__(params, lr=lr)\n"
    ),
    "fn_mod.py": (
        "import torch\n\ndef bowl(p):\n    return (p ** 2).sum()\n\n"
        "def vector(p):\n    return p * 2\n\n"
        "def raises(p):\n    raise ValueError('inside the function')\n\nnothing = 3\n"
    ),
}


def make_sandbox(root: Path) -> Path:
    """A working folder deep inside `root` with every file the generated flags name."""
    cwd = root / "a" / "b" / "cwd"
    data = cwd / "data"
    _mnist(data / "mnist_good")
    _mnist(data / "mnist_trunc", cut=True)
    _mnist(data / "mnist_empty", train=0)
    _npz(data / "good.npz")
    _npz(data / "pickled.npz", pickled=True)
    (data / "garbage.npz").write_bytes(b"PK\x03\x04 not a zip")
    _pets(data / "pets")
    (cwd / "a_file").write_text("a plain file")
    os.mkfifo(cwd / "fifo")
    (cwd / "not_study").mkdir()
    (cwd / "not_study" / "report.md").write_text("someone else's report")
    (cwd / "empty_dir").mkdir()
    (cwd / "corrupt_study").mkdir()
    (cwd / "corrupt_study" / "study.sqlite").write_bytes(b"not sqlite" * 100)
    for name, text in MODULES.items():
        (cwd / name).write_text(text)
    studies = cwd / "studies"
    studies.mkdir()
    (studies / "tiny.toml").write_bytes(tomli_w.dumps(VALID_STUDY).encode())
    heads = {**VALID_STUDY, "name": "fuzz-heads", "optimizers": ["sgd"]}
    heads["dataset"] = {"name": "digits", "classes": [0, 1], "train_size": 64, "test_size": 32}
    heads["heads"] = [{"units": 1, "activation": "sigmoid", "loss": "bce"}]
    (studies / "heads.toml").write_bytes(tomli_w.dumps(heads).encode())
    imports = {**VALID_STUDY, "optimizers": ["anything_optim:Anything:tag=x"]}
    (studies / "imports.toml").write_bytes(tomli_w.dumps(imports).encode())
    return cwd


def sandbox_environment(cwd: Path) -> dict[str, str]:
    """The variables that keep a run inside the sandbox: HOME (`~`) and the data cache."""
    return {"HOME": str(cwd.parent / "home"), "OPTBENCH_CACHE": str(cwd.parent / "cache")}


def enter_sandbox(cwd: Path) -> None:
    """Work inside the sandbox: its folder, HOME, cache and modules."""
    native_status()  # the compiled step, found under the real HOME before it moves
    os.chdir(cwd)
    os.environ.update(sandbox_environment(cwd))
    sys.path.insert(0, str(cwd))
    make_finished_study()


def make_finished_study() -> None:
    """`study_done`: a finished study for show, report, export, resume and verify."""
    code = invoke(["compare", *TINY, "-o", "adam,sgd", "--out", "study_done"])
    assert code == 0, "the sandbox's finished study could not be made"


def main_fuzz() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per target")
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help="comma list (one process per core: split)"
    )
    args = parser.parse_args()
    names = args.targets.split(",")
    if unknown := sorted(set(names) - set(TARGETS)):
        parser.error(f"unknown target(s) {unknown}; known: {list(TARGETS)}")
    root = Path(tempfile.mkdtemp(prefix="optbench-fuzz-cli-"))
    start = time.perf_counter()
    try:
        enter_sandbox(make_sandbox(root))
        total = 0
        for name in names:
            began = time.perf_counter()
            count = fuzz(name, args.examples)
            total += count
            print(
                f"{name:18} {count:6d} runs, 0 tracebacks ({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
        print(f"{'total':18} {total:6d} runs, 0 tracebacks")
        print("exit codes by command:", dict(sorted(EXIT_CODES.items())))
        print(f"wall time {time.perf_counter() - start:.0f} s")
    finally:
        os.chdir("/")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main_fuzz()
