"""The web console in a real browser: Debian's headless Chromium, driven by Playwright, against
real gunicorn on 127.0.0.1. Every page must load and work with no console error.

Skips (with the reason) when the playwright package or Chromium is missing, unless
``MLP_REQUIRE_BROWSER=1`` (set by ``.ci/run`` once it has installed Chromium), where a missing
browser fails. Screenshots go to ``$MLP_TEST_ARTIFACTS`` or ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import SETOSA, VERSICOLOR, VIRGINICA, wait_for
from servers import ROOT, gunicorn

from model.report import build_report, model_card
from model.store import ModelStore

TOKEN = "browser-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHROMIUM = os.environ.get("MLP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(os.environ.get("MLP_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
ROW = VIRGINICA  # the row typed into the console's form
WAIT_MS = 30_000


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[dev]'"
    if not Path(CHROMIUM).is_file():
        return f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set MLP_TEST_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator:
    reason = _unavailable()
    if reason and os.environ.get("MLP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MLP_REQUIRE_BROWSER=1 but {reason}")
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory, iris_net) -> Path:
    root = tmp_path_factory.mktemp("console") / "store"
    metadata = {"task": "classification", "metrics": {"validation": {"accuracy": 0.9, "log_loss": 0.3}}}
    ModelStore(root).publish(iris_net.save, metadata)
    return root


@pytest.fixture(scope="module")
def server(browser, store, tmp_path_factory) -> Iterator:
    logs = tmp_path_factory.mktemp("console-logs")
    env = {"MLP_MODEL_DIR": str(store), "MLP_METRICS_DIR": str(logs / "metrics"), "MLP_API_TOKEN": TOKEN}
    with gunicorn(env, logs / "gunicorn.log", workers=2) as running:
        yield running


class Console:
    """A fresh page on the console, recording console errors and uncaught exceptions."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda message: self._console(message))
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.set_default_timeout(WAIT_MS)
        self.page.goto(url)

    def _console(self, message) -> None:
        if message.type in ("error", "assert"):
            self.problems.append(f"console {message.type}: {message.text}")

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()


@pytest.fixture
def console(browser, server) -> Iterator[Console]:
    opened = Console(browser, f"http://127.0.0.1:{server.port}/")
    opened.page.wait_for_selector("#card dl")
    yield opened
    opened.context.close()


def active_version(server) -> str:
    return server.request("GET", "/model")[2]["version"]


def fill_row(page, row: list[float]) -> None:
    for j, value in enumerate(row):
        page.fill(f"#feature-{j}", str(value))


def shown_probabilities(page) -> dict[str, float]:
    items = page.locator("#probability-list li")
    return {
        items.nth(i).get_attribute("data-class"): float(items.nth(i).get_attribute("data-probability"))
        for i in range(items.count())
    }


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_page_loads_without_errors_and_shows_the_active_models_card(console, server) -> None:
    page, version = console.page, active_version(server)
    page.wait_for_function("v => document.querySelector('#ready').textContent.includes(v)", arg=version)
    assert version in console.text("#card .facts")
    assert page.locator("#card svg.architecture circle.unit").count() == 4 + 8 + 3
    assert page.locator("#card svg.heat-map rect.cell").count() == 9
    assert page.locator("#curves svg.line-chart").count() == 2
    assert page.locator("#curves path.series-train").count() == 1
    assert page.locator(f'#versions tr[data-version="{version}"] .badge').inner_text() == "active"
    assert console.problems == []


def test_a_prediction_from_the_form_matches_predict_for_the_same_row(console, server) -> None:
    page = console.page
    fill_row(page, ROW)
    page.click("#try-submit")
    page.wait_for_selector("#prediction-value")
    _, _, expected = server.request("POST", "/predict", {"instances": [ROW], "return_probabilities": True})
    assert console.text("#prediction-value") == str(expected["predictions"][0])
    shown = shown_probabilities(page)
    assert shown == pytest.approx(dict(zip(expected["classes"], expected["probabilities"][0], strict=True)))
    assert page.locator("#try-result svg.probabilities rect.bar.predicted").count() == 1
    assert page.locator("#out-of-range").count() == 0
    assert console.problems == []


def test_inputs_outside_the_training_range_are_flagged_before_and_after_predicting(console, server) -> None:
    page = console.page
    fill_row(page, [*ROW[:3], 9.0])
    assert page.get_attribute("#feature-3", "aria-invalid") == "true"
    assert page.get_attribute("#feature-0", "aria-invalid") == "false"
    page.click("#try-submit")
    flagged = page.wait_for_selector("#out-of-range").inner_text()
    _, _, expected = server.request("POST", "/predict", {"instances": [[*ROW[:3], 9.0]]})
    assert expected["out_of_range"] == [{"row": 0, "features": ["petal_width"]}]
    assert "petal_width" in flagged and "sepal_length" not in flagged
    assert console.problems == []


def test_pasted_json_rows_are_predicted_as_the_api_predicts_them(console, server) -> None:
    page = console.page
    rows = [ROW, SETOSA, VERSICOLOR]
    page.fill("#json-input", str(rows))
    page.click("#json-submit")
    page.wait_for_selector("#try-result table tbody tr")
    cells = page.locator("#try-result table tbody tr td:nth-child(2)").all_inner_texts()
    assert cells == [
        str(label) for label in server.request("POST", "/predict", {"instances": rows})[2]["predictions"]
    ]
    page.fill("#json-input", "[1, 2")
    page.click("#json-submit")
    assert console.text("#try-message").startswith("JSON: ")
    assert console.problems == []


def test_the_keyboard_alone_reaches_the_form_and_predicts(console, server) -> None:
    page = console.page
    page.locator("body").focus()
    focused = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
        if focused[-1] == "feature-0":
            break
    assert focused[-1] == "feature-0", focused
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("5.0")
    page.keyboard.press("Enter")
    page.wait_for_selector("#prediction-value")
    row = [float(page.input_value(f"#feature-{j}")) for j in range(4)]
    assert row[0] == 5.0
    _, _, expected = server.request("POST", "/predict", {"instances": [row]})
    assert console.text("#prediction-value") == str(expected["predictions"][0])
    assert console.problems == []


LABEL_CHECK = """() => {
  const controls = [...document.querySelectorAll("input, select, textarea, button, progress")];
  const name = (el) => el.tagName === "BUTTON"
    ? (el.getAttribute("aria-label") || el.textContent)
    : ([...(el.labels || [])].map((l) => l.textContent).join("") || el.getAttribute("aria-label") || "");
  return controls.filter((el) => name(el).trim() === "").map((el) => el.outerHTML.slice(0, 120));
}"""

CONTRAST_CHECK = """() => {
  const rgb = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures = [];
  let checked = 0;
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, .visually-hidden, [hidden], :disabled")) continue;
    if (el.getClientRects().length === 0) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    const [high, low] = [lum(rgb(style.color)), lum(background(el))].sort((x, y) => y - x);
    const ratio = (high + 0.05) / (low + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) {
      failures.push(`${el.tagName} ${el.id} ${ratio.toFixed(2)} ${el.textContent.trim().slice(0, 40)}`);
    }
  }
  return { checked, failures };
}"""


def test_every_control_has_a_label_and_all_text_has_readable_contrast(console) -> None:
    page = console.page
    page.click("#try-submit")
    page.wait_for_selector("#prediction-value")
    assert page.evaluate(LABEL_CHECK) == []
    contrast = page.evaluate(CONTRAST_CHECK)
    assert contrast["checked"] > 50 and contrast["failures"] == []
    assert console.problems == []


def test_training_with_the_token_shows_progress_and_ends_activated(console, server) -> None:
    page, before = console.page, active_version(server)
    page.fill("#token", TOKEN)
    page.select_option("#train-source", "paste")
    page.fill("#train-data", (ROOT / "data" / "iris.csv").read_text())
    page.fill("#train-hidden", "8")
    page.fill("#train-epochs", "40")
    page.fill("#train-learning-rate", "0.01")
    page.select_option("#train-activate", "always")
    page.evaluate("""() => {
      const status = document.querySelector('#train-status');
      window.seenStatuses = [];
      new MutationObserver(() => window.seenStatuses.push(status.dataset.status))
        .observe(status, {attributes: true, childList: true, subtree: true});
    }""")
    started = time.monotonic()
    page.click("#train-start")
    page.wait_for_selector('#train-status[data-status="succeeded"]', timeout=60_000)
    page.wait_for_selector("#train-result svg.line-chart")
    seen = page.evaluate("window.seenStatuses")
    assert {"queued", "running"} & set(seen) and seen[-1] == "succeeded", seen
    assert "succeeded after 40 epochs (completed)" in console.text("#train-status")
    assert page.evaluate("document.querySelector('#train-progress').value") == 40
    assert page.locator("#train-chart path.series-train").count() == 1
    message = console.text("#train-message")
    new = message.split("version ")[1].split(",")[0]
    assert new != before and f"version {new}, activated" in message
    page.wait_for_function("v => document.querySelector('#card .facts').textContent.includes(v)", arg=new)
    wait_for(lambda: active_version(server) == new, message=f"{new} served")  # per-worker swap
    assert page.locator("#train-result svg.line-chart").count() == 2
    assert page.locator(f'#versions tr[data-version="{new}"] .badge').count() == 1
    assert time.monotonic() - started < 30
    page.click("#try-submit")  # the screenshot shows every section in use
    page.wait_for_selector("#prediction-value")
    assert screenshot(page, "console.png").stat().st_size > 10_000
    assert console.problems == []


def show_new_inactive_version(page, store: Path, iris_net) -> str:
    version = ModelStore(store).publish(iris_net.save, {"metrics": {"accuracy": 0.5}}, activate=False).version
    page.click("#versions-refresh")
    page.wait_for_selector(f'#versions tr[data-version="{version}"] button')
    return version


def test_activating_a_version_asks_for_the_token_and_sends_nothing_without_it(
    console, server, store, iris_net
) -> None:
    page, current = console.page, active_version(server)
    other = show_new_inactive_version(page, store, iris_net)
    page.click(f'#versions tr[data-version="{other}"] button')
    page.wait_for_selector('#versions-message:text("enter the API token first")')
    assert page.evaluate("document.activeElement.id") == "token"
    assert active_version(server) == current
    assert console.problems == []


def test_a_stored_version_is_activated_from_the_versions_table_with_the_token(
    console, server, store, iris_net
) -> None:
    page, current = console.page, active_version(server)
    other = show_new_inactive_version(page, store, iris_net)
    page.fill("#token", TOKEN)
    page.click(f'#versions tr[data-version="{other}"] button')
    message = page.wait_for_selector("#versions-message[data-kind=ok], #versions-message[data-kind=error]")
    assert message.inner_text() == f"Version {other} is active (was {current})."
    page.wait_for_function("v => document.querySelector('#card .facts').textContent.includes(v)", arg=other)
    wait_for(lambda: active_version(server) == other, message=f"{other} served")  # per-worker swap
    assert console.problems == []


def test_a_wrong_token_shows_the_services_error_and_starts_nothing(console, server) -> None:
    page = console.page
    jobs_before = server.request("GET", "/train", headers=AUTH)[2]["jobs"]
    page.fill("#token", "not-the-token")
    page.select_option("#train-source", "iris")
    page.click("#train-start")
    page.wait_for_selector('#train-message[data-kind="error"]')
    assert console.text("#train-message") == "invalid bearer token [HTTP 401]"
    assert server.request("GET", "/train", headers=AUTH)[2]["jobs"] == jobs_before
    # Chromium logs every 4xx answer to fetch; that one is expected here, nothing else is.
    assert [p for p in console.problems if "status of 401" not in p] == []


def test_the_offline_report_draws_the_same_charts_without_a_server(browser, iris_net, tmp_path) -> None:
    path = tmp_path / "report.html"
    card = model_card("report-test", iris_net.describe(), active=True)
    run = {"dataset": "iris", "rows": {"train": 90, "validation": 30, "test": 30}, "metrics": card["metrics"]}
    path.write_text(
        build_report(card, {**run, "classes": card["classes"], "confusion_matrix": [[9, 1, 0]] * 3})
    )
    report = Console(browser, path.as_uri())
    try:
        report.page.wait_for_selector("#run .facts")
        assert "report-test" in report.text("#card .facts")
        assert report.page.locator("svg.architecture").count() == 1
        assert report.page.locator("#curves svg.line-chart").count() == 2
        assert report.page.locator("svg.heat-map").count() == 2
        screenshot(report.page, "report.png")
        assert report.problems == []
    finally:
        report.context.close()
