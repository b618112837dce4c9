"""The bad-input table: every row is a user mistake; each must give exit code 2 and one clear
message naming the flag/file and the fix — never a traceback, never a half-written result.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from optbench.cli.app import main

GOOD = ["compare", "--dataset", "digits", "--epochs", "1"]
LOADER = ["compare", "--epochs", "1", "--dataset"]  # then your loader
USER = [*LOADER, "{usercode}:blobs", "--model", "{usercode}:mlp"]  # your model on your data


def _idx(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _mnist_dir(root: Path, name: str, *, break_file: str | None = None, how: str = "") -> Path:
    folder = root / name
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(20) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (10, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(10) % 10,
    }
    for filename, array in arrays.items():
        data = gzip.compress(_idx(array))
        if filename == break_file:
            if how == "truncate":
                data = data[: len(data) // 2]
            elif how == "magic":
                data = gzip.compress(b"\x01\x02" + _idx(array)[2:])
            elif how == "labels":
                data = gzip.compress(_idx(np.full(len(array), 77)))
            elif how == "shape":
                data = gzip.compress(_idx(np.zeros((len(array), 5, 5))))
            elif how == "empty":  # a header that says 0 items
                data = gzip.compress(_idx(array[:0]))
            elif how == "trailing":
                data = gzip.compress(_idx(array) + b"\x00\x01")
        (folder / f"{filename}.gz").write_bytes(data)
    return folder


def _npz(root: Path, name: str, **arrays: np.ndarray) -> Path:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = root / name
    path.write_bytes(buffer.getvalue())
    return path


def _empty_train(root: Path) -> Path:
    """An MNIST folder whose training split holds 0 examples (images and labels agree)."""
    folder = _mnist_dir(root, "empty_train", break_file="train-images-idx3-ubyte", how="empty")
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(_idx(np.zeros((0,)))))
    return folder


ONE_OPT = 'dataset = "digits"\noptimizers = ["adam"]\n'
# 1,000 learning rates × 1,000 seeds: a million trials in a 20 kB file.
LRS = ", ".join(f"{(i + 1) / 1e4:g}" for i in range(1000))
MILLION = (
    f'dataset = "digits"\nseeds = [{", ".join(map(str, range(1000)))}]\n'
    f'[[optimizers]]\nname = "sgd"\nlr = [{LRS}]\n'
)
# One optimizer whose own grid has a million points (1,000 × 1,000).
MILLION_GRID = (
    'dataset = "digits"\n[[optimizers]]\nname = "sgd"\n'
    f"lr = [{LRS}]\nmomentum = [{', '.join(f'{i / 1000:g}' for i in range(1000))}]\n"
)


def _round_two_studies() -> dict[str, str]:
    """Study files of issue 21: names that are paths, repeated grids, sizes, settings."""
    return {
        "name_parent": 'name = "../../escaped"\n' + ONE_OPT,
        "name_absolute": 'name = "/tmp/optbench-absolute"\n' + ONE_OPT,
        "name_dot": 'name = "."\n' + ONE_OPT,
        "name_empty": 'name = ""\n' + ONE_OPT,
        "name_control": 'name = "a\\u0007b"\n' + ONE_OPT,
        "name_long": f'name = "{"x" * 300}"\n' + ONE_OPT,
        "repeated_lr_grid": 'tune = "lr"\nlr_grid = [0.01, 1e-2, 0.1]\n' + ONE_OPT,
        "repeated_opt_grid": 'dataset = "digits"\n[[optimizers]]\nname = "adam"\n'
        "lr = [0.001, 1e-3]\n",
        "repeated_heads": ONE_OPT + '[[heads]]\nunits = 1\nactivation = "sigmoid"\nloss = "bce"\n'
        '[[heads]]\nunits = 1\nactivation = "sigmoid"\nloss = "bce"\n',
        "million_trials": MILLION,
        "million_grid": MILLION_GRID,
        "max_trials_text": 'max_trials = "many"\n' + ONE_OPT,
        "max_trials_low": "max_trials = 2\nseeds = [0, 1, 2]\n" + ONE_OPT,
        "lr_grid_no_tune": "lr_grid = [0.01, 0.1]\n" + ONE_OPT,
        "address_no_ray": 'address = "10.0.0.5:6379"\n' + ONE_OPT,
        "address_bad": 'executor = "ray"\naddress = "not an address"\n' + ONE_OPT,
        "address_port": 'executor = "ray"\naddress = "10.0.0.5:99999"\n' + ONE_OPT,
        "tune_bad": 'tune = "learning-rate"\n' + ONE_OPT,
        "raising_import": 'dataset = "digits"\noptimizers = ["raising_at_import:Lion"]\n',
        "empty_train_file": 'dataset = {name = "mnist", path = "EMPTY"}\noptimizers = ["adam"]\n',
    }


def _round_two_files(root: Path) -> None:
    """Things in the way: a plain file, a FIFO, a huge study file, a module that raises."""
    (root / "a_file").write_text("not a folder")
    os.mkfifo(root / "fifo.toml")
    (root / "huge.toml").write_text(ONE_OPT + "# padding\n" * 120_000)
    (root / "raising_at_import.py").write_text('raise RuntimeError("boom at import")\n')
    (root / "fn_mod.py").write_text(
        "def vector(p):\n    return p * 2\n\n"
        "def raises(p):\n    raise ValueError('inside the function')\n\n"
        "def late(p):\n    if float(p[0]) < 0.5:\n        raise RuntimeError('late')\n"
        "    return (p ** 2).sum()\n"
    )
    text = (root / "empty_train_file.toml").read_text()
    (root / "empty_train_file.toml").write_text(text.replace("EMPTY", str(root / "empty_train")))
    study = root / "a_study"
    study.mkdir()
    (study / "report.md").write_text("someone else's report")  # a folder that is not a study


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    x, y = np.zeros((10, 28, 28), np.uint8), np.arange(10, dtype=np.uint8)
    out = {
        "truncated_gz": _mnist_dir(
            root, "trunc", break_file="train-images-idx3-ubyte", how="truncate"
        ),
        "bad_magic": _mnist_dir(root, "magic", break_file="t10k-images-idx3-ubyte", how="magic"),
        "bad_labels": _mnist_dir(
            root, "labels", break_file="train-labels-idx1-ubyte", how="labels"
        ),
        "bad_shape": _mnist_dir(root, "shape", break_file="train-images-idx3-ubyte", how="shape"),
        "empty_train": _empty_train(root),
        "trailing": _mnist_dir(root, "trail", break_file="t10k-labels-idx1-ubyte", how="trailing"),
        "missing_key": _npz(root, "nokey.npz", x_train=x, y_train=y, x_test=x),
        "pickled": _npz(
            root,
            "pickled.npz",
            x_train=np.array([{"a": 1}], dtype=object),
            y_train=y,
            x_test=x,
            y_test=y,
        ),
        "npz_float_labels": _npz(
            root, "floaty.npz", x_train=x, y_train=y.astype(np.float32) + 0.5, x_test=x, y_test=y
        ),
        "not_npz": root / "garbage.npz",
        "empty_dir": root / "empty",
    }
    out["not_npz"].write_bytes(b"PK\x03\x04 this is not really a zip")
    out["empty_dir"].mkdir()
    studies = {
        "malformed": "name = \n[dataset",
        "unknown_key": 'dataset = "digits"\noptimizers = ["adam"]\nepochz = 3\n',
        "wrong_type": 'dataset = "digits"\noptimizers = ["adam"]\nepochs = "ten"\n',
        "no_dataset": 'optimizers = ["adam"]\n',
        "no_optimizers": 'dataset = "digits"\n',
        "optimizers_not_list": 'dataset = "digits"\noptimizers = "adam"\n',
        "bad_head": 'dataset = "digits"\noptimizers = ["adam"]\n[[heads]]\nunits = 1\n'
        'activation = "softmaxx"\nloss = "bce"\n',
        "negative_batch": 'dataset = "digits"\noptimizers = ["adam"]\nbatch_size = -5\n',
        "bad_grid": 'dataset = "digits"\ntune = "lr"\nlr_grid = [0.1]\noptimizers = ["adam"]\n',
        "bad_hparam_in_table": 'dataset = "digits"\n[[optimizers]]\nname = "adam"\nlrr = 0.1\n',
    }
    studies.update(_round_two_studies())
    for name, text in studies.items():
        (root / f"{name}.toml").write_text(text)
    _round_two_files(root)
    (root / "latin1.toml").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "raising.py").write_text('raise ValueError("boom at import")\n')
    out["usercode"] = Path(__file__).parents[1] / "usercode" / "user_code.py"
    corrupt = root / "corrupt_study"
    corrupt.mkdir()
    (corrupt / "study.sqlite").write_bytes(b"definitely not sqlite" * 50)
    out["root"] = root
    return out


def _fmt(args: list[str], files: dict[str, Path]) -> list[str]:
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in args]


ROWS: list[tuple[str, list[str], str]] = [
    # --- optimizers -------------------------------------------------------------------------
    ("unknown optimizer", [*GOOD, "-o", "adamm"], "Did you mean 'adam'"),
    ("unknown hyperparameter", [*GOOD, "-o", "adam:lrr=0.1"], "Unknown hyperparameter 'lrr'"),
    ("negative lr", [*GOOD, "-o", "adam:lr=-0.1"], "`lr` must be > 0"),
    ("zero lr", [*GOOD, "-o", "sgd:lr=0"], "`lr` must be > 0"),
    ("beta out of range", [*GOOD, "-o", "adam:betas=1.5,0.9"], "betas"),
    ("momentum out of range", [*GOOD, "-o", "sgd:momentum=2"], "momentum"),
    ("malformed hyperparameter", [*GOOD, "-o", "adam:lr="], "lr"),
    ("non-numeric lr", [*GOOD, "-o", "adam:lr=fast"], "lr"),
    ("import path missing", [*GOOD, "-o", "nosuchpkg.optim:Lion"], "nosuchpkg"),
    ("import path not an optimizer", [*GOOD, "-o", "collections:OrderedDict"], "Optimizer"),
    ("nesterov without momentum", [*GOOD, "-o", "sgd:nesterov=true"], "nesterov"),
    # --- datasets and models ----------------------------------------------------------------
    ("unknown dataset", ["compare", "--dataset", "mnsit"], "Did you mean 'mnist'"),
    ("missing dataset flag", ["compare"], "Missing option '--dataset'"),
    ("unknown model", [*GOOD, "--model", "mlpp:128"], "Did you mean 'mlp'"),
    ("bad hidden size", [*GOOD, "--model", "mlp:0"], "neither a hidden size"),
    ("bad activation", [*GOOD, "--model", "mlp:64,activation=rellu"], "Did you mean 'relu'"),
    ("bad init", [*GOOD, "--init", "xavier"], "`init` must be 'torch' or 'keras'"),
    ("train size 0", [*GOOD, "--train-size", "0"], "train_size"),
    (
        "unknown class subset",
        ["compare", "--dataset", "fashion-mnist", "--epochs", "1"],
        None,
    ),  # placeholder replaced below when Debian's data is missing
    # --- study settings ---------------------------------------------------------------------
    ("epochs 0", [*GOOD[:3], "--epochs", "0"], "`epochs` must be between 1 and 100000"),
    ("epochs absurd", [*GOOD[:3], "--epochs", "1000000"], "`epochs` must be between"),
    ("batch size 0", [*GOOD, "--batch-size", "0"], "`batch_size` must be between"),
    ("seeds not numbers", [*GOOD, "--seeds", "a,b"], "--seeds must be"),
    ("seeds repeated", [*GOOD, "--seeds", "1,1"], "`seeds` has duplicates"),
    ("negative seed", [*GOOD, "--seeds", "-3"], "`seeds` must be"),
    ("unknown device", [*GOOD, "--device", "gpu"], "`device` must be cpu, cuda"),
    ("CUDA device missing", [*GOOD, "--device", "cuda:7"], "CUDA device(s)"),
    ("unknown profile", [*GOOD, "--profile", "tf"], "`profile` must be one of"),
    ("unknown executor", [*GOOD, "--executor", "slurm"], "`executor` must be one of"),
    ("workers 0", [*GOOD, "--workers", "0"], "`workers` must be between"),
    ("unknown stop code", [*GOOD, "--stop-on", "nann"], "nan"),
    ("unknown tune target", [*GOOD, "--tune", "momentum"], "`tune` must be one of"),
    ("lr grid not numbers", [*GOOD, "--tune", "lr", "--lr-grid", "a,b"], "--lr-grid must be"),
    ("lr grid one point", [*GOOD, "--tune", "lr", "--lr-grid", "0.1"], "`lr_grid` must list"),
    ("unknown flag", [*GOOD, "--no-such-flag"], "No such option"),
    # --- study files ------------------------------------------------------------------------
    ("study file missing", ["run", "{root}/nope.toml"], "does not exist"),
    ("malformed TOML", ["run", "{root}/malformed.toml"], "is not valid TOML"),
    ("not UTF-8", ["run", "{root}/latin1.toml"], "is not UTF-8"),
    ("unknown key", ["run", "{root}/unknown_key.toml"], "Did you mean 'epochs'"),
    ("wrong type", ["run", "{root}/wrong_type.toml"], "`epochs` must be an integer"),
    ("no dataset", ["run", "{root}/no_dataset.toml"], "`dataset` is required"),
    ("no optimizers", ["run", "{root}/no_optimizers.toml"], "`optimizers` must be a non-empty"),
    ("optimizers not a list", ["run", "{root}/optimizers_not_list.toml"], "non-empty list"),
    ("bad head activation", ["run", "{root}/bad_head.toml"], "Did you mean 'softmax'"),
    ("negative batch in file", ["run", "{root}/negative_batch.toml"], "`batch_size` must be"),
    ("bad lr grid in file", ["run", "{root}/bad_grid.toml"], "`lr_grid` must list"),
    ("bad hparam in table", ["run", "{root}/bad_hparam_in_table.toml"], "Did you mean 'lr'"),
    # --- data files -------------------------------------------------------------------------
    (
        "truncated gzip",
        ["compare", "--dataset", "mnist", "--data-path", "{truncated_gz}"],
        "train-images-idx3-ubyte",
    ),
    (
        "wrong IDX magic",
        ["compare", "--dataset", "mnist", "--data-path", "{bad_magic}"],
        "t10k-images-idx3-ubyte",
    ),
    (
        "labels out of range",
        ["compare", "--dataset", "mnist", "--data-path", "{bad_labels}"],
        "label",
    ),
    ("wrong image shape", ["compare", "--dataset", "mnist", "--data-path", "{bad_shape}"], "shape"),
    (
        "npz missing a key",
        ["compare", "--dataset", "mnist", "--data-path", "{missing_key}"],
        "y_test",
    ),
    (
        "npz with pickled objects",
        ["compare", "--dataset", "mnist", "--data-path", "{pickled}"],
        "pickle",
    ),
    (
        "npz float labels",
        ["compare", "--dataset", "mnist", "--data-path", "{npz_float_labels}"],
        "label",
    ),
    ("not an npz", ["compare", "--dataset", "mnist", "--data-path", "{not_npz}"], "garbage.npz"),
    ("empty data folder", ["compare", "--dataset", "mnist", "--data-path", "{empty_dir}"], "empty"),
    ("data path missing", ["compare", "--dataset", "mnist", "--data-path", "{root}/none"], "none"),
    # --- stored studies and other commands ----------------------------------------------------
    ("show a non-study", ["show", "{root}"], "No study in"),
    ("report a non-study", ["report", "{root}"], "No study in"),
    ("resume a non-study", ["resume", "{root}"], "has no config.toml"),
    ("corrupt store", ["show", "{root}/corrupt_study"], "not a usable optbench store"),
    ("explain bad activation", ["explain", "--activation", "sigmoidd"], "Did you mean 'sigmoid'"),
    ("explain negative lr", ["explain", "--lr", "-1"], "`lr` must be > 0"),
    (
        "landscape unknown function",
        ["landscape", "--function", "rosenbrok"],
        "Did you mean 'rosenbrock'",
    ),
    ("optimizers table unknown", ["optimizers", "--optimizer", "adamm"], "Did you mean 'adam'"),
    # --- your model, your data, your task (issue 18) ------------------------------------------
    ("factory raises", [*USER, "--model", "{usercode}:raises"], "factory raised RuntimeError"),
    ("factory returns no module", [*USER, "--model", "{usercode}:not_a_module"], "not a torch.nn"),
    ("factory not callable", [*USER, "--model", "{usercode}:NOT_CALLABLE"], "is not callable"),
    ("factory outputs misfit", [*USER, "--model", "{usercode}:wrong_outputs"], "outputs of shape"),
    ("factory file missing", [*USER, "--model", "{root}/nope.py:build"], "No such file"),
    ("factory module missing", [*USER, "--model", "nosuchmod:build"], "Cannot import module"),
    ("factory name missing", [*USER, "--model", "{usercode}:buildd"], "has no 'buildd'"),
    ("factory module raises", [*USER, "--model", "{root}/raising.py:build"], "boom at import"),
    ("loader raises", [*LOADER, "{usercode}:loader_raises"], "raised FileNotFoundError"),
    ("loader returns text", [*LOADER, "{usercode}:returns_string"], "returned str"),
    ("loader lengths differ", [*LOADER, "{usercode}:wrong_lengths"], "y_train has 295"),
    ("loader NaN inputs", [*LOADER, "{usercode}:nan_inputs"], "holds NaN"),
    ("loader labels outside", [*LOADER, "{usercode}:labels_outside_classes"], "outside the"),
    ("loader text labels", [*LOADER, "{usercode}:text_labels"], "not numbers"),
    ("loader fractional labels", [*LOADER, "{usercode}:fractional_labels"], "holds fractions"),
    ("loader empty split", [*LOADER, "{usercode}:empty_test"], "the test split is empty"),
    (
        "loader float tokens",
        [*LOADER, "{usercode}:float_tokens", "--task", "language_model"],
        "integer token ids",
    ),
    ("unknown task", [*USER, "--task", "ranking"], "`task` must be one of"),
    (
        "loss does not fit the task",
        [*LOADER, "{usercode}:line", "--task", "regression", "--loss", "bce"],
        "does not fit the regression task",
    ),
    ("your loss missing", [*USER, "--loss", "{usercode}:nope"], "has no 'nope'"),
    # --- round two (issue 21): folders and files in the way -----------------------------------
    ("--out is a file", [*GOOD, "--out", "{root}/a_file"], "it is a file, not a folder"),
    ("--out is /dev/null", [*GOOD, "--out", "/dev/null"], "it is a device, not a folder"),
    ("--out in /proc", [*GOOD, "--out", "/proc/optbench-x"], "Could not write /proc/optbench-x"),
    ("--out in /sys", [*GOOD, "--out", "/sys/kernel/optbench-x"], "Could not write /sys/"),
    ("--out under a file", [*GOOD, "--out", "{root}/a_file/sub"], "is a file, not a folder"),
    ("--out empty", [*GOOD, "--out", ""], "`--out` must name a folder"),
    ("--out holds other files", [*GOOD, "--out", "{root}/a_study"], "holds other files"),
    ("run a folder", ["run", "{root}"], "is a folder, not a TOML file"),
    ("run a FIFO", ["run", "{root}/fifo.toml"], "is not a regular file"),
    ("run /dev/null", ["run", "/dev/null"], "is not a regular file"),
    ("study file too large", ["run", "{root}/huge.toml"], "must be at most 1,048,576 bytes"),
    ("optimizer module raises", [*GOOD, "-o", "raising_at_import:Lion"], "raised RuntimeError"),
    ("study imports a raising module", ["run", "{root}/raising_import.toml"], "boom at import"),
    ("IDX train split of 0", ["compare", "-d", "mnist", "--data-path", "{empty_train}"], "0 ex"),
    ("0 examples via study file", ["run", "{root}/empty_train_file.toml"], "has no train examples"),
    ("IDX trailing bytes", [*GOOD[:1], "-d", "mnist", "--data-path", "{trailing}"], "has trailing"),
    ("export a corrupt store", ["export", "{root}/corrupt_study"], "not a usable"),
    ("landscape --out /dev/null", ["landscape", "--out", "/dev/null"], "it is a device"),
    ("landscape --out under a file", ["landscape", "--out", "{root}/a_file/x"], "is a file"),
    # --- names that are paths --------------------------------------------------------------
    ("--name with ..", [*GOOD, "--name", "../../escaped"], "`name` must not contain '/'"),
    ("--name absolute", [*GOOD, "--name", "/tmp/optbench-abs"], "`name` must not contain '/'"),
    ("--name .", [*GOOD, "--name", "."], "`name` must not be '.' or '..'"),
    ("--name ..", [*GOOD, "--name", ".."], "`name` must not be '.' or '..'"),
    ("--name empty", [*GOOD, "--name", ""], "`name` must not be empty"),
    ("--name blank", [*GOOD, "--name", "   "], "`name` must not be empty"),
    ("--name backslash", [*GOOD, "--name", "a\\b"], "must not contain '/' or '\\'"),
    ("--name newline", [*GOOD, "--name", "a\nb"], "must not contain control characters"),
    ("--name leading space", [*GOOD, "--name", " x"], "must not start or end with a space"),
    ("--name too long", [*GOOD, "--name", "n" * 101], "must be at most 100 characters"),
    ("file name with ..", ["run", "{root}/name_parent.toml"], "`name` must not contain '/'"),
    ("file name absolute", ["run", "{root}/name_absolute.toml"], "`name` must not contain '/'"),
    ("file name .", ["run", "{root}/name_dot.toml"], "`name` must not be '.' or '..'"),
    ("file name empty", ["run", "{root}/name_empty.toml"], "`name` must not be empty"),
    ("file name control", ["run", "{root}/name_control.toml"], "control characters"),
    ("file name too long", ["run", "{root}/name_long.toml"], "at most 100 characters"),
    # --- repeated grid values ----------------------------------------------------------------
    (
        "--lr-grid repeated",
        [*GOOD, "--tune", "lr", "--lr-grid", "1e-3,1e-3"],
        "`lr_grid` lists 0.001 more than once",
    ),
    (
        "--lr-grid same number twice",
        [*GOOD, "--tune", "lr", "--lr-grid", "0.01,1e-2,0.1"],
        "`lr_grid` lists 0.01 more than once",
    ),
    ("file lr_grid repeated", ["run", "{root}/repeated_lr_grid.toml"], "lists 0.01 more than"),
    ("file optimizer grid repeated", ["run", "{root}/repeated_opt_grid.toml"], "`lr` lists"),
    ("file heads repeated", ["run", "{root}/repeated_heads.toml"], "more than once"),
    ("optimizers repeated", [*GOOD, "-o", "adam,adam"], "describe the same trial"),
    # --- sizes ---------------------------------------------------------------------------------
    ("a million trials", ["run", "{root}/million_trials.toml"], "more than its limit of 10,000"),
    ("a million-point grid", ["run", "{root}/million_grid.toml"], "has 1,000,000 points"),
    (
        "too many seeds",
        [*GOOD, "--seeds", ",".join(map(str, range(10_001)))],
        "more than its limit of 10,000",
    ),
    ("a model too large to train", [*GOOD, "--model", "mlp:1000000000"], "GiB free on cpu"),
    # Found by benchmarks/fuzz_cli.py: the checker built the model before counting it.
    (
        "doctor: a model too large to build",
        ["doctor", "--dataset", "digits", "--model", "mlp:1000000000"],
        "GiB free on cpu",
    ),
    (
        "heads: a model too large to build",
        ["heads", "--dataset", "digits", "--classes", "0,1", "--model", "mlp:1000000000"],
        "GiB free on cpu",
    ),
    ("--max-trials below the study", [*GOOD, "-o", "adam,sgd", "--max-trials", "1"], "limit of 1"),
    ("--max-trials 0", [*GOOD, "--max-trials", "0"], "`max_trials` must be between 1"),
    ("--max-trials not a number", [*GOOD, "--max-trials", "x"], "'--max-trials'"),
    ("run --max-trials too low", ["run", "{root}/max_trials_low.toml"], "more than its limit of 2"),
    ("max_trials not an integer", ["run", "{root}/max_trials_text.toml"], "must be an integer"),
    ("landscape steps 1e9", ["landscape", "--steps", "1000000000"], "between 1 and 100,000"),
    ("landscape steps 0", ["landscape", "--steps", "0"], "between 1 and 100,000"),
    ("landscape start nan", ["landscape", "--start", "nan,1"], "`start` must be finite"),
    ("landscape start inf", ["landscape", "--start", "1,inf"], "`start` must be finite"),
    ("landscape bounds inf", ["landscape", "--bounds", "0,inf,0,1"], "`bounds` must be finite"),
    ("landscape minimum nan", ["landscape", "--minimum", "nan,0"], "`minimum` must be finite"),
    ("landscape lr points", ["landscape", "--lr-points", "1000000"], "'--lr-points'"),
    ("landscape tol nan", ["landscape", "--tol", "nan"], "`tol` must be > 0"),
    (
        "landscape lr range not positive",
        ["landscape", "--tune-lr", "--lr-range", "nan,-inf"],
        "`lr_range` must be two learning rates > 0",
    ),
    (
        "landscape function raises",
        ["landscape", "-f", "fn_mod:raises", "--minimum", "-1,-1"],
        "raised ValueError: inside the function at [1.0, 1.0]",
    ),
    (
        "landscape function not scalar",
        ["landscape", "-f", "fn_mod:vector", "--minimum", "-1,-1"],
        "must return a scalar tensor",
    ),
    (
        "landscape function raises later",
        ["landscape", "-f", "fn_mod:late", "-o", "adam:lr=0.1", "--start", "1,1"],
        "raised RuntimeError: late",
    ),
    ("show a path too long", ["show", "x" * 300], "too long for a filesystem"),
    ("--out a path too long", [*GOOD, "--out", "x" * 300], "too long for a filesystem"),
    ("--data-path a device", ["compare", "-d", "mnist", "--data-path", "/dev/zero"], "regular"),
    ("landscape clip negative", ["landscape", "--clip", "-1"], "`clip` must be > 0"),
    # --- settings that only work together, messages ------------------------------------------
    ("--lr-grid without --tune", [*GOOD, "--lr-grid", "0.01,0.1"], "used only when tuning"),
    ("file lr_grid without tune", ["run", "{root}/lr_grid_no_tune.toml"], "used only when"),
    ("--tune unknown", [*GOOD, "--tune", "x"], "must be one of '' (none), lr"),
    ("file tune unknown", ["run", "{root}/tune_bad.toml"], "must be one of '' (none), lr"),
    ("--address without ray", [*GOOD, "--address", "10.0.0.5:6379"], 'executor = "ray"'),
    (
        "--address malformed",
        [*GOOD, "--executor", "ray", "--address", "not an address"],
        "`address` must be auto, local, HOST:PORT",
    ),
    ("--address bad port", [*GOOD, "--executor", "ray", "--address", "h:99999"], "port 1-65535"),
    ("file address without ray", ["run", "{root}/address_no_ray.toml"], "used only with"),
    ("file address malformed", ["run", "{root}/address_bad.toml"], "`address` must be auto"),
    ("file address bad port", ["run", "{root}/address_port.toml"], "port 1-65535"),
    # --- other commands ------------------------------------------------------------------------
    ("ls a file", ["ls", "{root}/a_file"], "No folder"),
    ("export unknown format", ["export", "{root}", "--format", "xml"], "must be one of csv, json"),
    ("doctor unknown fail-on", ["doctor", "--fail-on", "never!"], "--fail-on must be one of"),
    ("verify a non-study", ["verify", "{root}"], "No study in"),
    ("show a missing folder", ["show", "{root}/nowhere"], "No study in"),
    ("resume a file", ["resume", "{root}/a_file"], "has no config.toml"),
]
ROWS = [r for r in ROWS if r[2] is not None]


def test_table_is_big_enough():
    assert len(ROWS) >= 100
    assert sum("{usercode}" in " ".join(args) for _, args, _ in ROWS) >= 12
    assert len({r[0] for r in ROWS}) == len(ROWS)  # every row its own promise


@pytest.mark.parametrize(("what", "args", "message"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(what, args, message, files, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default runs/ folder would land here
    monkeypatch.syspath_prepend(str(files["root"]))  # user modules given by import path
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path / "cache"))
    code = main(_fmt(args, files))
    err = capsys.readouterr().err
    assert code == 2, f"{what}: exit {code}\n{err}"
    assert message.lower() in err.lower(), f"{what}: {err}"
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("report.md"))
