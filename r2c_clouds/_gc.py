"""Pause Python's cyclic garbage collector around bulk work that creates no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FREEZE_AT", "freeze_if_large", "gc_paused"]

#: From this many objects on, a freshly read cluster is frozen out of the cyclic GC's reach.
FREEZE_AT = 20_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a block runs (decoding a list, running the rules).

    Decoded structs and findings hold no reference cycles, and the collections triggered by
    hundreds of thousands of new objects would otherwise scan the whole cluster state again
    and again: on a 30,000-pod cluster they took more than half of the scan. Reference
    counting still frees everything as usual; the GC is restored (if it was on) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_if_large(objects: int) -> None:
    """After reading a big cluster, move everything alive into the GC's permanent generation
    (:func:`gc.freeze`): later collections skip the cluster's objects instead of walking
    millions of them each time the rules allocate. Call it *inside* :func:`gc_paused`: the
    objects allocated while the GC was paused all sit in its youngest generation, and the
    first allocation after it is back would walk them all (0.7 s for 30,000 pods). Reference
    counting still frees them when the ClusterState is dropped (they hold no cycles)."""
    if objects >= FREEZE_AT:
        gc.freeze()
