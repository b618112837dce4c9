"""Reader for Keras' `mnist.npz` (keys x_train, y_train, x_test, y_test), pickles refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from optbench.core.errors import DataError
from optbench.data.arrays import RawArrays

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

_FIX = "Replace it with an intact copy of Keras' mnist.npz, or pass --data-path to another copy."


def load_npz(path: Path | str) -> RawArrays:
    """Read the four arrays of a Keras-style `.npz` archive; shapes are checked by the caller.

    Loaded with `allow_pickle=False`: an archive holding pickled object arrays could run
    arbitrary code, so it is refused rather than trusted.
    """
    path = Path(path)
    if path.is_file() and not zipfile.is_zipfile(path):
        raise DataError(f"'{path}' is not an .npz archive (not a zip file). {_FIX}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                found = ", ".join(archive.files) or "nothing"
                raise DataError(
                    f"'{path}' lacks the array(s) {', '.join(missing)}: a Keras mnist.npz holds "
                    f"{', '.join(NPZ_KEYS)}, this one holds {found}. {_FIX}"
                )
            arrays = {key: archive[key] for key in NPZ_KEYS}
    except FileNotFoundError:
        raise DataError(f"npz file '{path}' does not exist.") from None
    except ValueError as exc:
        raise DataError(_value_error_message(path, exc)) from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(f"'{path}' is not a readable .npz archive ({exc}). {_FIX}") from None
    return RawArrays(**arrays, source=str(path))


def _value_error_message(path: Path, exc: ValueError) -> str:
    if "pickle" in str(exc).lower():
        return (
            f"'{path}' holds pickled Python objects; optbench refuses to unpickle them "
            f"(that could run arbitrary code). Use a plain numeric mnist.npz. {_FIX}"
        )
    return f"'{path}' is not a readable .npz archive ({exc}). {_FIX}"
