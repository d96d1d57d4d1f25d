"""Text that came from a cluster or a cloud, made safe to show on a terminal."""

from __future__ import annotations

import re

__all__ = ["printable"]

#: C0 controls but tab and newline, DEL, and C1 controls: what can drive a terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without the control characters a terminal acts on (ESC, CSI, OSC, BEL...):
    strings from the cluster or a cloud (Event messages, container messages, object names in
    an error) are shown, never obeyed. Tab and newline stay.

    >>> printable("pull failed\\x1b]0;pwned\\x07 \\x9b31m!")
    'pull failed]0;pwned 31m!'
    """
    return _CONTROL.sub("", text)
