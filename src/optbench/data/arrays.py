"""The numpy arrays a reader hands back, and the checks every reader's output must pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optbench.core.errors import DataError


@dataclass
class RawArrays:
    """A dataset as read from disk: raw pixels and labels, before selecting or scaling.

    x_*: [N, *input_shape] raw pixel values; y_*: [N] integer labels in [0, num_classes).
    Readers of image folders also say which classes they found (folder names, in label
    order) and which files they skipped (unreadable images, non-image files), with why.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    class_names: tuple[str, ...] | None = None
    skipped: tuple[str, ...] = ()


def check_arrays(
    raw: RawArrays,
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    raw_range: tuple[float, float],
    pixel_dtype: np.dtype | None = None,
) -> None:
    """Raise DataError unless shapes, dtypes, label range and pixel range are what we expect."""
    for split in ("train", "test"):
        x, y = getattr(raw, f"x_{split}"), getattr(raw, f"y_{split}")
        where = f"{raw.source} ({split} split)"
        _check_pixels(x, where, input_shape, raw_range, pixel_dtype)
        _check_labels(y, where, len(x), num_classes)


def _check_pixels(
    x: np.ndarray,
    where: str,
    input_shape: tuple[int, ...],
    raw_range: tuple[float, float],
    pixel_dtype: np.dtype | None,
) -> None:
    if x.shape[1:] != input_shape or x.ndim != len(input_shape) + 1:
        want = "x".join(map(str, ("N", *input_shape)))
        raise DataError(f"Images in {where} have shape {x.shape}; expected {want}.")
    if pixel_dtype is not None and x.dtype != pixel_dtype:
        raise DataError(f"Images in {where} have dtype {x.dtype}; expected {pixel_dtype}.")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise DataError(f"Images in {where} have non-numeric dtype {x.dtype}.")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise DataError(f"Images in {where} contain NaN or infinite values.")
    if x.size and (x.min() < raw_range[0] or x.max() > raw_range[1]):
        raise DataError(
            f"Pixel values in {where} span [{x.min()}, {x.max()}], outside the expected "
            f"range [{raw_range[0]:g}, {raw_range[1]:g}]."
        )


def _check_labels(y: np.ndarray, where: str, n: int, num_classes: int) -> None:
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"Labels in {where} have shape {y.shape}; expected ({n},), one per image.")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"Labels in {where} have dtype {y.dtype}; expected integers.")
    if y.size and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise DataError(
            f"Labels in {where} span [{y.min()}, {y.max()}]; expected 0..{num_classes - 1}."
        )
