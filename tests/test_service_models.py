"""GET /model, /models, /models/<v>, /health, /ready, /metrics, and hot swapping."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pytest
from helpers import IRIS_FEATURES, ROW

from model import Network
from model.store import ModelStore
from service import Settings


def test_the_model_card_describes_the_active_model(client, store_dir) -> None:
    response = client.get("/model")
    card = response.get_json()
    active = ModelStore(store_dir).active_version()
    assert response.status_code == 200 and card["version"] == active and card["active"] is True
    assert card["task"] == "classification" and card["n_features"] == 4
    assert [f["name"] for f in card["features"]][:2] == ["sepal_length", "sepal_width"]
    assert card["features"][0]["min"] == 4.3 and card["features"][0]["max"] == 7.9
    assert card["classes"] == ["setosa", "versicolor", "virginica"]
    assert card["architecture"]["layer_sizes"] == [4, 8, 3]
    assert card["training"]["config"]["epochs"] == 60
    assert "accuracy" in card["metrics"]["validation"]
    assert card["created_at"]


def test_a_mixed_models_card_gives_every_features_type_categories_or_range_and_missing_share(
    client_for, penguins_net
) -> None:
    response = client_for(penguins_net).get("/model")
    assert response.status_code == 200
    features = {feature["name"]: feature for feature in response.get_json()["features"]}
    assert features["island"]["type"] == "categorical" and features["island"]["min"] is None
    assert features["island"]["categories"] == ["Biscoe", "Dream", "Torgersen"]
    assert features["sex"]["missing_share"] == pytest.approx(0.1)
    mass = features["body_mass_g"]
    assert mass["type"] == "numeric" and mass["indicator"] is True
    assert mass["missing_share"] == pytest.approx(0.05)
    assert mass["min"] < mass["median"] < mass["max"] and mass["categories"] is None


def test_versions_are_listed_and_each_can_be_shown(client, store_dir, iris_net) -> None:
    store = ModelStore(store_dir)
    second = store.publish(iris_net.save, {"task": "classification"}, activate=False)
    listing = client.get("/models").get_json()
    assert [v["version"] for v in listing["versions"]][-1] == second.version
    assert listing["active"] != second.version
    assert [v["active"] for v in listing["versions"]] == [True, False]
    shown = client.get(f"/models/{second.version}").get_json()
    assert shown["version"] == second.version and shown["active"] is False


def test_health_and_readiness_report_the_loaded_version(client, store_dir) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/ready").get_json()
    assert ready["ready"] is True and ready["model_version"] == ModelStore(store_dir).active_version()


def test_a_new_active_version_is_served_without_a_restart(client, store_dir, iris) -> None:
    first = client.post("/predict", data=json.dumps({"instances": [ROW]})).headers["X-Model-Version"]
    x, y = iris
    other = Network(hidden=(4,), seed=1)
    other.fit(x, y, epochs=5, feature_names=IRIS_FEATURES)
    second = ModelStore(store_dir).publish(other.save, {}).version
    response = client.post("/predict", data=json.dumps({"instances": [ROW]}))
    assert response.headers["X-Model-Version"] == second != first
    assert client.get("/model").get_json()["architecture"]["layer_sizes"] == [4, 4, 3]


def test_a_broken_new_version_is_refused_and_the_old_one_keeps_serving(client, store_dir) -> None:
    good = client.get("/ready").get_json()["model_version"]
    ModelStore(store_dir).publish(lambda path: path.write_bytes(b"garbage"), {})
    response = client.post("/predict", data=json.dumps({"instances": [ROW]}))
    assert response.status_code == 200 and response.headers["X-Model-Version"] == good
    ready = client.get("/ready").get_json()
    assert ready["ready"] is True and ready["model_version"] == good
    assert "cannot be loaded" in ready["last_reload_error"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "mlp_model_reload_failures_total 1.0" in metrics


def test_metrics_count_requests_rows_and_show_the_served_version(client, store_dir) -> None:
    for _ in range(3):
        client.post("/predict", data=json.dumps({"instances": [ROW, ROW]}))
    client.post("/predict", data="bad")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'mlp_http_requests_total{endpoint="/predict",method="POST",status="200"} 3.0' in text
    assert 'mlp_http_requests_total{endpoint="/predict",method="POST",status="400"} 1.0' in text
    assert "mlp_predicted_rows_total 6.0" in text
    version = ModelStore(store_dir).active_version()
    assert f'mlp_model_info{{version="{version}"}} 1.0' in text
    assert 'mlp_http_request_duration_seconds_bucket{endpoint="/predict",le="0.5"}' in text


def test_a_multi_label_model_predicts_0_1_rows(client_for) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    net = Network(hidden=(8,), seed=0)
    net.fit(x, np.column_stack([x[:, 0] > 0, x[:, 1] > 0]).astype(int), epochs=50, learning_rate=1e-2)
    client = client_for(net)
    body = client.post("/predict", data=json.dumps({"instances": [[2.0, -2.0]]})).get_json()
    assert body["predictions"] == [[1, 0]]


def test_any_http_method_token_is_counted_under_a_fixed_label_set(client) -> None:
    for method in ("AAAA0001", "BREW", "PROPFIND"):
        client.open("/predict", method=method)
    client.open("/health", method="OPTIONS")
    text = client.get("/metrics").get_data(as_text=True)
    methods = {line.split('method="')[1].split('"')[0] for line in text.splitlines() if 'method="' in line}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert 'endpoint="unmatched",method="other",status="405"} 3.0' in text
# ---------------------------------------------------------------- no paths or internals to clients
def test_without_a_model_the_503_answers_name_no_filesystem_path(make_client, tmp_path) -> None:
    client = make_client(model_dir=tmp_path / "empty")
    for method, path in [("POST", "/predict"), ("GET", "/ready"), ("GET", "/model")]:
        response = client.open(path, method=method, data=json.dumps({"instances": [ROW]}))
        text = response.get_data(as_text=True)
        assert response.status_code == 503 and "no model" in text and str(tmp_path) not in text, text


def test_a_stored_version_that_cannot_be_read_is_409_without_its_path_which_goes_to_the_log(
    app, client, store_dir, iris_net, monkeypatch, caplog
) -> None:
    version = ModelStore(store_dir).publish(iris_net.save, {}, activate=False).version
    store = app.extensions["mlp"].store
    resolve = store.get

    def unreadable(name: str):  # as if pruned just after it was resolved (a race the store documents)
        return dataclasses.replace(resolve(name), artifact=store_dir / "versions" / name / "gone.npz")

    monkeypatch.setattr(store, "get", unreadable)
    for path in (f"/models/{version}", f"/v2/models/mlp/versions/{version}"):
        response = client.get(path)
        body = response.get_json()
        assert response.status_code == 409 and body["code"] == "invalid_version", body
        assert version in body["error"] and str(store_dir) not in response.get_data(as_text=True)
    assert str(store_dir / "versions" / version) in caplog.text


@pytest.mark.parametrize("models", [1, 0])
def test_the_log_says_service_ready_only_when_a_model_is_loaded(
    make_app, tmp_path, iris_net, caplog, models
) -> None:
    for _ in range(models):
        ModelStore(tmp_path).publish(iris_net.save, {})
    with caplog.at_level(logging.INFO):
        make_app(model_dir=tmp_path)
    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    ready = [message for level, message in messages if "service ready" in message]
    not_ready = [message for level, message in messages if level == "WARNING" and "not ready" in message]
    assert (len(ready), len(not_ready)) == ((1, 0) if models else (0, 1)), messages


# ---------------------------------------------------------------- DELETE /models/<version>, retention
TOKEN = "delete-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(make_client):
    return make_client(api_token=TOKEN)


def test_deleting_an_inactive_version_removes_it(admin, store_dir, iris_net) -> None:
    store = ModelStore(store_dir)
    active = store.active_version()
    doomed = store.publish(iris_net.save, {}, activate=False).version

    response = admin.delete(f"/models/{doomed}", headers=AUTH)

    assert response.status_code == 200 and response.get_json() == {"deleted": doomed}
    assert admin.get(f"/models/{doomed}").status_code == 404
    assert [info.version for info in store.versions()] == [active]
    assert admin.get("/ready").get_json()["model_version"] == active


DELETE_REFUSED = [
    # (which version, headers, status, code, words in the error)
    ("active", AUTH, 409, "protected_version", "the active version"),
    ("previous", AUTH, 409, "protected_version", "the rollback target"),
    ("unknown", AUTH, 404, "unknown_version", "no stored model version"),
    ("malformed", AUTH, 404, "unknown_version", "no stored model version"),
    ("inactive", {}, 401, "unauthorized", "missing bearer token"),
    ("inactive", {"Authorization": "Bearer wrong"}, 401, "unauthorized", "invalid bearer token"),
]


@pytest.mark.parametrize(("which", "headers", "status", "code", "words"), DELETE_REFUSED)
def test_deleting_is_refused_for_protected_unknown_or_unauthorized_requests(
    admin, store_dir, iris_net, which, headers, status, code, words
) -> None:
    store = ModelStore(store_dir)
    versions = {
        "previous": store.active_version(),
        "active": store.publish(iris_net.save, {}).version,
        "inactive": store.publish(iris_net.save, {}, activate=False).version,
        "unknown": "20000101T000000000000Z-000000",
        "malformed": "not-a-version",
    }

    response = admin.delete(f"/models/{versions[which]}", headers=headers)

    body = response.get_json()
    assert response.status_code == status and body["code"] == code and words in body["error"], body
    assert str(store_dir) not in body["error"]
    assert len(store.versions()) == 3


def test_deleting_without_a_configured_token_is_disabled(client, store_dir) -> None:
    version = ModelStore(store_dir).active_version()
    assert client.delete(f"/models/{version}").status_code == 403


def test_the_service_store_keeps_mlp_keep_versions_versions(make_settings, make_app, monkeypatch) -> None:
    monkeypatch.setenv("MLP_KEEP_VERSIONS", "3")
    assert make_settings().keep_versions == 3 and Settings.model_fields["keep_versions"].default == 20
    assert make_app().extensions["mlp"].store.retention == 3
