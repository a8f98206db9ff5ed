"""The web console in a real browser on a model of mixed features (a numeric one with missing
values, a categorical one): the card's feature table, the category choice, empty fields sent as
missing, and the three kinds of flags, against real gunicorn on 127.0.0.1.

Uses the browser, page wrapper and checks of ``test_console_browser`` (same skips).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from servers import serving
from test_console_browser import CONTRAST_CHECK, LABEL_CHECK, TOKEN, Console, browser, screenshot

from model import Network

__all__ = ["browser"]  # the module-scoped Chromium fixture, imported to be shared
ISLANDS = ["Biscoe", "Dream", "Torgersen"]


@pytest.fixture(scope="module")
def mixed_net() -> Network:
    """Species from an island (categorical) and a bill length with 10 % missing values."""
    rng = np.random.default_rng(0)
    n = 150
    island = rng.choice(ISLANDS, n, p=[0.5, 0.3, 0.2])
    bill = rng.normal(45, 5, n)
    species = np.where(island == "Biscoe", "Gentoo", np.where(bill > 45, "Chinstrap", "Adelie"))
    bill[::10] = np.nan
    net = Network(hidden=(8,), seed=0)
    net.fit({"bill_length": bill.tolist(), "island": island.tolist()}, species, epochs=40, learning_rate=1e-2)
    return net


@pytest.fixture(scope="module")
def mixed_server(browser, mixed_net, tmp_path_factory) -> Iterator:
    root = tmp_path_factory.mktemp("console-mixed")
    metadata = {"task": "classification", "metrics": {}}
    with serving(mixed_net, root, metadata=metadata, MLP_API_TOKEN=TOKEN) as running:
        yield running


@pytest.fixture
def console(browser, mixed_server) -> Iterator[Console]:
    opened = Console(browser, f"http://127.0.0.1:{mixed_server.port}/")
    opened.page.wait_for_selector("#card table.features")
    yield opened
    opened.context.close()


def feature_rows(page) -> dict[str, list[str]]:
    rows = page.locator("#card table.features tbody tr")
    return {
        rows.nth(i).get_attribute("data-feature"): rows.nth(i).locator("td").all_inner_texts()
        for i in range(rows.count())
    }


def test_the_card_shows_each_features_type_categories_or_range_and_missing_share(console, mixed_net) -> None:
    shown = feature_rows(console.page)
    bill, island = mixed_net.describe()["schema"]["features"]
    categories = island["categories"]
    assert categories[0] == "Biscoe", "most frequent first"
    assert shown["island"] == ["categorical", f"3 categories: {', '.join(categories)}", "0.0 %"]
    assert shown["bill_length"][0] == "numeric"
    numbers = re.fullmatch(r"([\d.]+) to ([\d.]+), median ([\d.]+)", shown["bill_length"][1]).groups()
    assert [float(v) for v in numbers] == pytest.approx([bill["min"], bill["max"], bill["median"]], rel=1e-3)
    assert shown["bill_length"][2] == "10.0 %"
    inputs = mixed_net.describe()["architecture"]["layer_sizes"][0]  # 1 + indicator + 3 one-hot
    assert f"{inputs} inputsfrom 2 features" in console.page.locator("#card svg.architecture").text_content()
    assert console.problems == []


def test_a_categorical_field_offers_the_training_categories(console, mixed_net) -> None:
    page = console.page
    assert page.get_attribute("#feature-1", "type") == "text"
    listed = page.locator(f"#{page.get_attribute('#feature-1', 'list')} option")
    assert [listed.nth(i).get_attribute("value") for i in range(listed.count())] == ISLANDS
    assert page.input_value("#feature-1") == "Biscoe"
    assert page.get_attribute("#feature-0", "type") == "number"
    assert console.problems == []


def test_empty_and_unknown_values_are_flagged_in_words_and_predicted_as_the_api_does(
    console, mixed_server
) -> None:
    page = console.page
    page.fill("#feature-0", "")
    page.fill("#feature-1", "Atlantis")
    assert console.text("#feature-0-flag").startswith("missing: imputed with the median")
    assert console.text("#feature-1-flag") == "not a training category"
    assert page.get_attribute("#feature-1", "aria-invalid") == "true"
    page.click("#try-submit")
    page.wait_for_selector("#unknown-categories")
    _, _, expected = mixed_server.request("POST", "/predict", {"instances": [[None, "Atlantis"]]})
    assert expected["unknown_categories"] == [{"row": 0, "features": ["island"]}]
    assert expected["missing"] == [{"row": 0, "features": ["bill_length"]}]
    assert console.text("#prediction-value") == str(expected["predictions"][0])
    assert console.text("#unknown-categories").startswith("Categories not seen in training: island.")
    assert console.text("#missing-values").startswith("Missing values: bill_length.")
    assert page.locator("#out-of-range").count() == 0
    assert page.evaluate(LABEL_CHECK) == []
    contrast = page.evaluate(CONTRAST_CHECK)
    assert contrast["failures"] == []
    screenshot(page, "console-mixed.png")
    assert console.problems == []


def test_pasted_rows_with_text_and_nulls_show_every_rows_flags(console, mixed_server) -> None:
    page = console.page
    rows = [[None, "Dream"], [50.0, "Biscoe"], [99.0, "Mars"]]
    page.fill("#json-input", '[[null, "Dream"], [50.0, "Biscoe"], [99.0, "Mars"]]')
    page.click("#json-submit")
    page.wait_for_selector("#try-result table tbody tr")
    _, _, expected = mixed_server.request("POST", "/predict", {"instances": rows})
    cells = page.locator("#try-result table tbody tr")
    assert [cells.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == expected["predictions"]
    assert [cells.nth(i).locator("td").last.inner_text() for i in range(3)] == [
        "missing: bill_length",
        "",
        "out of range: bill_length; unknown category: island",
    ]
    assert console.problems == []


def test_the_offline_report_draws_the_feature_table_of_a_mixed_models_card(
    browser, mixed_net, tmp_path: Path
) -> None:
    from model.report import build_report
    from service.cards import model_card

    path = tmp_path / "report.html"
    card = model_card("mixed", mixed_net.describe(), active=True).model_dump(mode="json")
    path.write_text(build_report(card))
    report = Console(browser, path.as_uri())
    try:
        report.page.wait_for_selector("#card table.features")
        assert feature_rows(report.page)["island"][0] == "categorical"
        assert report.problems == []
    finally:
        report.context.close()
