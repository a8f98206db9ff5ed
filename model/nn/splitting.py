"""Train/validation splits, stratified by class when labels are given."""

from __future__ import annotations

import numpy as np

from .errors import InvalidInputError


def train_validation_split(
    n_samples: int, fraction: float, rng: np.random.Generator, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (train, validation) holding ``fraction`` of the rows out for validation.

    With ``labels`` (n_samples,), each class gives round(fraction * its count) rows (at least
    one when it has two or more), so both parts keep the class proportions. Sorted indices.
    """
    if fraction <= 0:
        return np.arange(n_samples), np.empty(0, dtype=np.intp)
    if labels is None:
        order = rng.permutation(n_samples)
        n_val = round(fraction * n_samples)
        val = order[:n_val]
    else:
        val_parts = []
        for label in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == label))
            n_val = round(fraction * len(members))
            n_val = min(max(n_val, 1), len(members) - 1) if len(members) >= 2 else 0
            val_parts.append(members[:n_val])
        val = np.concatenate(val_parts)
    if len(val) == 0 or len(val) == n_samples:
        raise InvalidInputError(
            f"val_fraction={fraction} of {n_samples} rows leaves an empty training or validation "
            "set: use more rows or val_fraction=0"
        )
    mask = np.zeros(n_samples, dtype=bool)
    mask[val] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)
