"""model/report.py: the offline HTML report inlines the console's own chart code and a card in
the shape of GET /model; it needs no server, no network and no Flask."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from model import assets
from model.report import ASSETS, build_report, load_assets, model_card, write_report
from service.cards import model_card as service_model_card
from service.routes.console import SHARED


class ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def parse(document: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(document)
    return parser


def embedded(document: str) -> dict:
    (data,) = [text for attrs, text in parse(document).scripts if attrs.get("id") == "report-data"]
    return json.loads(data)


@pytest.fixture(scope="module")
def card(iris_net) -> dict:
    return model_card("v1", iris_net.describe(), active=True)


def test_the_card_has_the_shape_and_values_of_the_service_model_card(iris_net, card) -> None:
    expected = service_model_card("v1", iris_net.describe(), active=True).model_dump(mode="json")
    assert json.loads(json.dumps(card)) == expected


def test_the_report_inlines_the_consoles_stylesheet_and_scripts_and_embeds_the_data(card) -> None:
    run = {"dataset": "iris", "metrics": {"test": {"accuracy": 0.9}}, "classes": card["classes"]}
    document = build_report(card, run)
    scripts = parse(document).scripts
    bodies = [text.strip() for attrs, text in scripts if not attrs]
    assert bodies == [(SHARED / name).read_text().strip() for name in ASSETS if name.endswith(".js")]
    assert (SHARED / "console.css").read_text().strip() in document
    assert embedded(document) == {"card": json.loads(json.dumps(card)), "run": run}
    assert "<title>Model report: v1</title>" in document


def test_the_report_refers_to_nothing_outside_itself(card) -> None:
    document = build_report(card)
    for tag, attrs in parse(document).attributes:
        assert "src" not in attrs and "href" not in attrs, tag
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", document)
    assert "@import" not in document and "url(" not in document


def test_text_from_the_model_cannot_close_the_data_block_or_inject_markup(card) -> None:
    hostile = "</script><script>alert(1)</script>&<!--"
    card = {**card, "version": hostile, "classes": [hostile, "b", "c"]}
    document = build_report(card)
    assert document.count("</script>") == 1 + sum(name.endswith(".js") for name in ASSETS)
    assert "<script>alert(1)" not in document
    assert embedded(document)["card"]["classes"][0] == hostile
    assert "<title>Model report: &lt;/script&gt;" in document


def test_non_finite_metrics_are_written_as_null_so_the_data_stays_valid_json(card) -> None:
    run = {"metrics": {"test": {"r2": float("nan"), "mse": float("inf")}, "validation": None}}
    metrics = embedded(build_report(card, run))["run"]["metrics"]
    assert metrics == {"test": {"r2": None, "mse": None}, "validation": None}


def test_the_assets_are_the_model_packages_own_files_the_console_serves_too() -> None:
    assert assets.directory() == Path(assets.__file__).parent == SHARED
    code = (
        "import sys, model.report, model.cli\n"
        "assets = model.report.load_assets()\n"
        "assert 'MlpCharts' in assets['charts.js']\n"
        "assert not {'flask', 'pydantic', 'service'} & set(sys.modules), sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_asset_that_would_close_its_inline_element_is_refused(tmp_path: Path) -> None:
    for name in ASSETS:
        (tmp_path / name).write_text("/* ok */")
    (tmp_path / "card.js").write_text('const s = "</script>";')
    with pytest.raises(ValueError, match=r"card\.js contains a closing tag"):
        load_assets(tmp_path)
    (tmp_path / "card.js").unlink()
    with pytest.raises(FileNotFoundError):
        load_assets(tmp_path)


def test_write_report_writes_utf8(tmp_path: Path, card) -> None:
    path = tmp_path / "report.html"
    write_report(path, build_report({**card, "version": "v→1"}))
    assert "Model report: v→1" in path.read_text(encoding="utf-8")
