"""A standalone HTML report of a trained model: its card, learning curves and run summary.

``mlp-train --report FILE`` writes it. The charts are the web console's own: the report inlines
the shared stylesheet and JavaScript (``model.assets``: ``charts.js`` draws the SVG, ``card.js``
lays out the card, ``report.js`` starts them) next to the data, as JSON in the same shape as the
service's ``GET /model``. One chart implementation serves both; the file needs no server and no
network, only a browser with JavaScript. Nothing here imports the service or Flask.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from .assets import NAMES as ASSETS
from .assets import directory as assets_directory


def load_assets(directory: Path | None = None) -> dict[str, str]:
    """The text of each file the report inlines, by name, from ``directory`` (default: the
    package's ``model/assets``); raises ``OSError`` when one is missing, ``ValueError`` when one
    would close its inline element."""
    directory = directory or assets_directory()
    texts = {name: (directory / name).read_text(encoding="utf-8") for name in ASSETS}
    for name, text in texts.items():
        if "</script" in text.lower() or "</style" in text.lower():
            raise ValueError(f"{name} contains a closing tag and cannot be inlined")
    return texts


def model_card(version: str, description: dict[str, Any], active: bool) -> dict[str, Any]:
    """The card of ``GET /model`` from ``Network.describe()``: the one builder (the service
    validates it into its ``ModelCard`` schema; the report renders it)."""
    features = description["schema"]["features"]
    return {
        "version": version,
        "active": active,
        "task": description["task"],
        "multilabel": description["multilabel"],
        "created_at": description["created_at"],
        "n_features": len(features),
        "features": [_feature(record) for record in features],
        "classes": description["classes"],
        "target_names": description.get("target_names"),
        "architecture": description["architecture"],
        "training": description["training"],
        "metrics": description["metrics"],
    }


# A feature's fields on the card, with their defaults (the service's ``FeatureInfo``).
FEATURE_FIELDS = {
    **dict.fromkeys(("name", "type", "min", "max", "median", "indicator", "categories", "rare")),
    "type": "numeric",
    "missing_share": 0.0,
}


def _feature(record: dict[str, Any]) -> dict[str, Any]:
    """A feature of the schema (``FeatureSchema.as_dict``) as the card shows it."""
    return {key: record.get(key, default) for key, default in FEATURE_FIELDS.items()}


def build_report(
    card: dict[str, Any], run: dict[str, Any] | None = None, assets: dict[str, str] | None = None
) -> str:
    """The report as one HTML document.

    card: as ``model_card`` returns; run: the training script's report (rows, metrics of the
    train / validation / test parts, test confusion matrix, timings), optional.
    """
    texts = assets or load_assets()  # by name, as load_assets gives them
    data = _script_json({"card": card, "run": run})
    title = f"Model report: {card['version']}"
    scripts = "\n".join(f"<script>\n{texts[name]}\n</script>" for name in ASSETS if name.endswith(".js"))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
{texts["console.css"]}
</style>
</head>
<body>
<main id="main">
<h1>{html.escape(title)}</h1>
<noscript><p>This report draws its content with JavaScript; its data is the JSON block
<code>report-data</code> in this file.</p></noscript>
<section aria-labelledby="model-heading"><h2 id="model-heading">Model</h2><div id="card"></div></section>
<section aria-labelledby="curves-heading">
<h2 id="curves-heading">Learning curves</h2><div id="curves"></div></section>
<section id="run-section" aria-labelledby="run-heading" hidden>
<h2 id="run-heading">Training run</h2><div id="run"></div></section>
</main>
<script type="application/json" id="report-data">{data}</script>
{scripts}
</body>
</html>
"""


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" left, non-finite numbers as null."""
    text = json.dumps(_finite(value), allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def write_report(path: Path, document: str) -> None:
    """Write the report (UTF-8), replacing any file of that name."""
    Path(path).write_text(document, encoding="utf-8")
