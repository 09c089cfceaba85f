"""Common random numbers: every draw is a hash of (seed, what, who, when), never a stream position.

Two policies that ask the same customer about the same hour of the same day get the same answer, whatever
else each policy did before; that is what makes the differences between policies small-sample honest.
"""

from __future__ import annotations

import hashlib
import math
from statistics import NormalDist

_NORMAL = NormalDist()


def uniform(seed: int, *key: object) -> float:
    """A stable number in [0, 1) for this seed and key."""
    text = "\x1f".join([str(seed), *map(str, key)])
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def lognormal_minutes(seed: int, median: float, sigma: float, *key: object) -> float:
    """A delay in minutes, lognormal around `median`: most people answer fast, a few much later."""
    u = min(max(uniform(seed, "delay", *key), 1e-9), 1 - 1e-9)
    return median * math.exp(sigma * _NORMAL.inv_cdf(u))
