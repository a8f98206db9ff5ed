"""The web console's blueprint and page: headers, assets, the page's structure, the JavaScript
unit tests (under node), and that the page uses only the public JSON API."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from model import assets
from service.routes.console import CONTENT_SECURITY_POLICY, SHARED, STATIC

CONSOLE = STATIC.parent
SCRIPTS = ["charts.js", "forms.js", "card.js", "tryit.js", "console.js"]


def source(name: str) -> Path:
    """Where a console file lives: the files shared with the report in model/assets."""
    return (SHARED if name in assets.NAMES else STATIC) / name


class PageParser(HTMLParser):
    """Collects the tags and attributes of a page, and the text of inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_data(self, data: str) -> None:
        if self._open in ("script", "style") and data.strip():
            self.inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._open = None


@pytest.fixture(scope="module")
def page() -> PageParser:
    parser = PageParser()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    return parser


def test_the_console_is_served_at_the_root_with_a_strict_content_security_policy(client) -> None:
    with client.get("/") as response:
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert b"<title>mlp-service console</title>" in response.data
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("charts.js", "text/javascript"),
        ("forms.js", "text/javascript"),
        ("card.js", "text/javascript"),
        ("tryit.js", "text/javascript"),
        ("console.js", "text/javascript"),
        ("report.js", "text/javascript"),
        ("console.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_every_asset_is_served_from_the_package_with_its_type_and_the_same_headers(client, name, mimetype):
    with client.get(f"/console/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype in (mimetype, "application/javascript")
        assert response.data == source(name).read_bytes()
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path",
    [
        "/console/missing.js",
        "/console/../routes/console.py",
        "/console/",
        "/console/__init__.py",  # model/assets is a package: only its NAMES are served
        "/console/%2e%2e",
    ],
)
def test_unknown_or_escaping_asset_paths_are_404(client, path) -> None:
    assert client.get(path).status_code == 404


def test_the_page_has_no_inline_script_style_or_handler_and_loads_only_its_own_assets(page) -> None:
    assert page.inline == []
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
        assert "style" not in attrs, tag
        for key in ("src", "href"):
            value = attrs.get(key)
            if value and not value.startswith("#"):
                assert value.startswith("/") and not value.startswith("//"), value
    scripts = [attrs["src"] for tag, attrs in page.tags if tag == "script"]
    assert scripts == [f"/console/{name}" for name in SCRIPTS]


def test_every_form_control_of_the_page_has_a_label(page) -> None:
    labelled = {attrs["for"] for tag, attrs in page.tags if tag == "label"}
    controls = [attrs for tag, attrs in page.tags if tag in ("input", "select", "textarea")]
    assert controls
    for attrs in controls:
        assert attrs.get("id") in labelled or attrs.get("aria-label"), attrs
    described = {attrs["aria-describedby"] for attrs in controls if attrs.get("aria-describedby")}
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert described <= ids


def test_every_element_the_script_looks_up_exists_in_the_page(page) -> None:
    script = (STATIC / "console.js").read_text(encoding="utf-8")
    wanted = set(re.findall(r'\$\("([\w-]+)"\)', script))
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert wanted and wanted <= ids, wanted - ids


def test_the_console_calls_only_endpoints_of_the_public_api(client) -> None:
    """Every api(...) call of console.js targets an operation of the OpenAPI document."""
    script = (STATIC / "console.js").read_text(encoding="utf-8")
    calls = re.findall(r'api\("(GET|POST|DELETE)", [`"]([^`"]+)[`"]', script)
    assert len(calls) >= 8
    document = client.get("/openapi.json").get_json()
    operations = {
        (method.upper(), re.sub(r"\{\w+\}", "{}", path))
        for path, item in document["paths"].items()
        for method in item
    }
    for method, path in calls:
        template = re.sub(r"\$\{[^}]+\}", "{}", path)
        assert (method, template) in operations, (method, path)


@pytest.mark.parametrize("name", [*SCRIPTS, "report.js"])
def test_no_script_persists_anything_or_builds_html_from_strings(name) -> None:
    """The token stays in memory; API text reaches the DOM through textContent only."""
    script = source(name).read_text(encoding="utf-8")
    forbidden = ["localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML", "outerHTML"]
    forbidden += ["insertAdjacentHTML", "document.write", "eval(", "new Function"]
    assert [word for word in forbidden if word in script] == []


def test_the_javascript_unit_tests_pass_under_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the chart and form builders' unit tests need Node.js 18+")
    tests = sorted(str(path) for path in (CONSOLE / "tests").glob("*.test.js"))
    assert len(tests) >= 2
    done = subprocess.run([node, "--test", *tests], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"^# fail 0$", done.stdout, re.MULTILINE), done.stdout[-2000:]


def test_the_static_files_are_declared_as_package_data() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert re.search(r'^service = \["console/static/\*"\]', pyproject, re.MULTILINE)
    assert not [path for path in STATIC.iterdir() if path.is_dir()], "package data globs one level only"
    assert re.search(r'^"model.assets" = \["\*.js", "\*.css"\]', pyproject, re.MULTILINE)
    shipped = {path.name for path in SHARED.iterdir() if path.suffix in (".js", ".css")}
    assert shipped == set(assets.NAMES)
