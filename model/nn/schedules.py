"""Learning-rate schedules: the rate for an epoch, registered by name.

Each is ``schedule(base_rate, epoch, epochs) -> rate`` with ``epoch`` counted from 0.

- ``constant``: base_rate.
- ``cosine``: base_rate * (1 + cos(pi * epoch / epochs)) / 2, from base_rate towards 0.
- ``invscaling``: base_rate / sqrt(epoch + 1), scikit-learn's inverse scaling with power 0.5.
- ``step``: base_rate * 0.5 ** (epoch // max(1, epochs // 4)): halves four times over a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[float, int, int], float]

SCHEDULES: dict[str, Schedule] = {
    "constant": lambda rate, epoch, epochs: rate,
    "cosine": lambda rate, epoch, epochs: rate * 0.5 * (1 + math.cos(math.pi * epoch / epochs)),
    "invscaling": lambda rate, epoch, epochs: rate / math.sqrt(epoch + 1),
    "step": lambda rate, epoch, epochs: rate * 0.5 ** (epoch // max(1, epochs // 4)),
}
