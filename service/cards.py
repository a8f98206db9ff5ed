"""Model cards and version summaries, built from artifacts and store metadata (no HTTP)."""

from __future__ import annotations

from typing import Any

from model.store import VersionInfo

from .schemas import FeatureInfo, ModelCard, VersionSummary


def model_card(version: str, card: dict[str, Any], active: bool) -> ModelCard:
    """The card of a loaded model; ``card`` is ``Network.describe()``."""
    return ModelCard(
        version=version,
        active=active,
        task=card["task"],
        multilabel=card["multilabel"],
        created_at=card["created_at"],
        n_features=len(card["feature_names"]),
        features=[feature_info(record) for record in card["schema"]["features"]],
        classes=card["classes"],
        target_names=card.get("target_names"),
        architecture=card["architecture"],
        training=card["training"],
        metrics=card["metrics"],
    )


def feature_info(record: dict[str, Any]) -> FeatureInfo:
    """A feature of the card's schema, with the fields the API documents (others are left out)."""
    return FeatureInfo.model_validate({key: record[key] for key in FeatureInfo.model_fields if key in record})


def version_summary(info: VersionInfo) -> VersionSummary:
    """A stored version's summary from its metadata (the artifact is not opened)."""
    metadata = info.metadata
    metrics = metadata.get("metrics")
    return VersionSummary(
        version=info.version,
        active=info.active,
        created_at=info.created_at,
        task=metadata.get("task"),
        metrics=metrics if isinstance(metrics, dict) else {},
    )
