"""GET /model, /models, /models/<v>, /health, /ready, /metrics, and hot swapping."""

from __future__ import annotations

import json

import numpy as np

from model import Network
from model.store import ModelStore
from service import Settings, create_app

ROW = [5.1, 3.5, 1.4, 0.2]


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
    other.fit(x, y, epochs=5, feature_names=["sepal_length", "sepal_width", "petal_length", "petal_width"])
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


def test_a_multi_label_model_predicts_0_1_rows(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    net = Network(hidden=(8,), seed=0)
    net.fit(x, np.column_stack([x[:, 0] > 0, x[:, 1] > 0]).astype(int), epochs=50, learning_rate=1e-2)
    ModelStore(tmp_path).publish(net.save, {})
    client = create_app(Settings(model_dir=tmp_path)).test_client()
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
