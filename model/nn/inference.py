"""Inference: a fitted network and a matrix to predictions, probabilities and flags.

``infer`` is the one function every front door calls (``/predict``, the V2 protocol, and any
later batch scorer): one forward pass, the network's own label decoding
(``preprocessing.decode_labels``, which ``Network.predict`` uses too), and the per-value flags.
Front doors only encode the result for their wire.

Flags are boolean masks (n_rows, n_features) over the original features, by kind (the
feature schema sets them, ``features.FeatureSchema.encode``):

- ``out_of_range``: a numeric value outside the [min, max] the model saw in training, where
  its answers are extrapolation;
- ``unknown_categories``: a categorical value never seen in training (encoded as all zeros);
- ``missing``: a missing value, imputed (numeric) or given its missing level (categorical).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from .features import FLAG_KINDS, MISSING, OUT_OF_RANGE, UNKNOWN_CATEGORIES
from .preprocessing import decode_labels

if TYPE_CHECKING:  # the network imports this package's modules; only its type is needed here
    from .network import Network

__all__ = ["FLAG_KINDS", "MISSING", "OUT_OF_RANGE", "UNKNOWN_CATEGORIES", "Inference", "infer"]


@dataclass(frozen=True)
class Inference:
    """What a network says about a matrix of rows.

    Attributes
    ----------
    predictions : ndarray
        Classifiers: labels (n_rows,) in the dtype of ``net.classes``, or 0/1 int64
        (n_rows, n_labels) for multi-label. Regressors: float64 values in target units,
        (n_rows,) or (n_rows, n_targets).
    probabilities : ndarray of shape (n_rows, n_classes) or None
        Classifiers only, columns in ``net.classes`` order.
    flags : dict of str to ndarray of shape (n_rows, n_features), bool
        By kind (``FLAG_KINDS``), True where a value is flagged.
    feature_names : tuple of str
        The columns' names, for reporting flags.
    """

    predictions: np.ndarray
    probabilities: np.ndarray | None
    flags: dict[str, np.ndarray]
    feature_names: tuple[str, ...]

    def flagged(self, kind: str = OUT_OF_RANGE) -> list[dict[str, Any]]:
        """``[{"row": i, "features": [names]}]`` for the rows with a ``kind`` flag, in row order.

        Plain dicts built from two array passes: an object per flagged row (even a pydantic
        ``model_construct``, ~4 us) cost more than predicting the row.
        """
        mask = self.flags[kind]
        if not mask.any():  # the common case, one pass
            return []
        rows, columns = np.nonzero(mask)  # row-major: a row's features together, in model order
        names = self.feature_names
        features = [names[j] for j in columns.tolist()]
        cuts = [0, *(np.flatnonzero(rows[1:] != rows[:-1]) + 1).tolist(), rows.size]  # one run per row
        row_ids = rows.tolist()
        return [{"row": row_ids[start], "features": features[start:end]} for start, end in pairwise(cuts)]

    def flagged_rows(self, kind: str = OUT_OF_RANGE) -> int:
        """How many rows have at least one ``kind`` flag."""
        mask = self.flags[kind]
        return int(mask.any(axis=1).sum()) if mask.any() else 0


def infer(net: Network, x: Any, columns: Sequence[str] | None = None) -> Inference:
    """Predictions, probabilities and flags for raw values ``x`` (n_rows, n_features), e.g.
    ``rows_to_matrix(...).x`` (or any table ``Network.predict`` takes).

    ``columns`` names the columns in problem locations (``RowMatrix.columns``: rows given by
    name); without it problems are located by column index. Raises ``RowsError`` for a value
    the schema refuses (text in a numeric feature, an infinity).
    """
    encoded = net.encode(x, columns)  # (n_rows, n_inputs) and the flags, encoded once
    probabilities = None
    if net.task == "classification":
        probabilities = net.predict_proba(encoded)  # (n_rows, n_classes)
        predictions = decode_labels(probabilities, net.classes, net.multilabel)
    else:
        predictions = net.predict(encoded).astype(np.float64, copy=False)
    return Inference(predictions, probabilities, encoded.flags, net.feature_names)
