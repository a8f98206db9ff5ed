"""Evaluation metrics on plain arrays (no state).

Classification: ``accuracy``, ``log_loss``, ``brier_score``, ``confusion_matrix``.
Regression: ``mean_squared_error``, ``mean_absolute_error``, ``r2_score``.
"""

from __future__ import annotations

import numpy as np

# Beyond this many classes a confusion matrix (n_classes^2 counts) stays out of reports, model
# headers and cards: 1000 classes would be a million numbers in every GET /model.
MAX_CONFUSION_CLASSES = 50


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of rows predicted exactly (all labels must match for multi-label rows)."""
    equal = np.asarray(y_true) == np.asarray(y_pred)
    if equal.ndim > 1:
        equal = equal.all(axis=1)
    return float(np.mean(equal))


def log_loss(y_index: np.ndarray, proba: np.ndarray) -> float:
    """Mean -log p of the true class; ``y_index`` (n,) in 0..n_classes-1, ``proba`` (n, n_classes).

    Probabilities are clipped to [eps, 1] (eps of their dtype) so a confident mistake costs a
    large finite amount instead of infinity.
    """
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(len(y_index)), y_index], eps, 1.0)
    return float(-np.mean(np.log(picked)))


def brier_score(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean squared difference between 0/1 truths and probabilities, both (n, n_labels)."""
    return float(np.mean((np.asarray(y_true, np.float64) - proba) ** 2))


def confusion_matrix(y_index: np.ndarray, pred_index: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (y_index, pred_index), 1)
    return matrix


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean((np.asarray(y_true, np.float64) - y_pred) ** 2))


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, np.float64) - y_pred)))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination, averaged over targets; 1 is perfect, 0 is the mean's."""
    y_true = np.asarray(y_true, np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, np.float64).reshape(len(y_pred), -1)
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    safe_total = np.where(total > 0, total, 1.0)
    per_target = np.where(total > 0, 1 - residual / safe_total, np.where(residual > 0, 0.0, 1.0))
    return float(per_target.mean())
