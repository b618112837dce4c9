"""The bad-input table: every row is a user mistake; each must give exit code 2 and one clear
message naming the flag/file and the fix — never a traceback, never a half-written result.
"""

from __future__ import annotations

import gzip
import io
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
        (folder / f"{filename}.gz").write_bytes(data)
    return folder


def _npz(root: Path, name: str, **arrays: np.ndarray) -> Path:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = root / name
    path.write_bytes(buffer.getvalue())
    return path


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
    for name, text in studies.items():
        (root / f"{name}.toml").write_text(text)
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
]
ROWS = [r for r in ROWS if r[2] is not None]


def test_table_is_big_enough():
    assert len(ROWS) >= 40
    assert sum("{usercode}" in " ".join(args) for _, args, _ in ROWS) >= 12


@pytest.mark.parametrize(("what", "args", "message"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(what, args, message, files, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default runs/ folder would land here
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path / "cache"))
    code = main(_fmt(args, files))
    err = capsys.readouterr().err
    assert code == 2, f"{what}: exit {code}\n{err}"
    assert message.lower() in err.lower(), f"{what}: {err}"
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("report.md"))
