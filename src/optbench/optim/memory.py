"""Peak memory of the tensors an optimizer step allocates and frees again (its temporaries).

CPU torch has no allocator statistics, and the profiler reports allocations but not frees, so
this watches every aten op through a TorchDispatchMode: an op output whose storage is new counts
as allocated until the Python tensor is garbage collected (a weakref finalizer). It sees what
dispatches through aten, not scratch memory inside one kernel, and it counts a temporary as
freed when the tensor object dies even if a view of it lives on (optimizer steps make none).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class _AllocationWatch(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.live: dict[int, int] = {}  # storage data_ptr → bytes
        self.current = 0
        self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        inputs = {t.untyped_storage().data_ptr() for t in _tensors((args, kwargs))}
        out = func(*args, **(kwargs or {}))
        for t in _tensors(out):
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key in inputs or key in self.live or storage.nbytes() == 0:
                continue  # in-place, a view, or already counted
            self.live[key] = storage.nbytes()
            self.current += storage.nbytes()
            self.peak = max(self.peak, self.current)
            weakref.finalize(t, self._free, key)
        return out

    def _free(self, key: int) -> None:
        self.current -= self.live.pop(key, 0)


def _tensors(tree: Any) -> list[torch.Tensor]:
    return [x for x in tree_flatten(tree)[0] if isinstance(x, torch.Tensor)]


def peak_temporary_bytes(fn: Callable[[], object]) -> int:
    """Most bytes of tensors allocated by `fn` and alive at the same time (kept ones included)."""
    watch = _AllocationWatch()
    with watch:
        fn()
    return watch.peak
