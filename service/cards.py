"""Model cards and version summaries, built from artifacts and store metadata (no HTTP)."""

from __future__ import annotations

from typing import Any

from model.report import model_card as build_card
from model.store import VersionInfo

from .schemas import ModelCard, VersionSummary


def model_card(version: str, card: dict[str, Any], active: bool) -> ModelCard:
    """The card of a loaded model (``card`` is ``Network.describe()``), built by the one
    builder the offline report shares, validated as the API documents it."""
    return ModelCard.model_validate(build_card(version, card, active))


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
