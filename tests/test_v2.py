"""The Open Inference Protocol (V2) routes: every route and error against the spec's shapes."""

from __future__ import annotations

import gzip
import json
import struct
import zlib

import numpy as np
import pytest
from helpers import IRIS_FEATURES, SETOSA, VERSICOLOR, VIRGINICA
from penguins import ADELIE, GENTOO
from penguins import FEATURES as PENGUIN_FEATURES

from model import Network
from model.store import ModelStore
from service.errors import ApiError
from service.v2 import HEADER_LENGTH, VersionCache

ROWS = [SETOSA, VIRGINICA, VERSICOLOR]
INFER = "/v2/models/mlp/infer"


def tensor(rows=ROWS, datatype="FP64", **fields) -> dict:
    """The one input tensor, flat row-major data."""
    flat = [v for row in rows for v in row]
    return {"name": "input", "shape": [len(rows), len(rows[0])], "datatype": datatype, "data": flat, **fields}


def post(client, body, headers=None):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(INFER, data=data, headers=headers or {})


def binary_request(x: np.ndarray, datatype: str = "FP32", **request_fields) -> tuple[bytes, dict]:
    """JSON header + raw little-endian tensor bytes, as tritonclient sends them."""
    raw = x.astype("<f4" if datatype == "FP32" else "<f8").tobytes()
    inputs = [{"name": "input", "shape": list(x.shape), "datatype": datatype,
               "parameters": {"binary_data_size": len(raw)}}]  # fmt: skip
    header = json.dumps({"inputs": inputs, **request_fields}).encode()
    return header + raw, {HEADER_LENGTH: str(len(header))}


def decode_binary_response(response) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON header, outputs as arrays) of a response with the binary extension."""
    size = int(response.headers[HEADER_LENGTH])
    header, tail = json.loads(response.data[:size]), response.data[size:]
    arrays, offset = {}, 0
    for output in header["outputs"]:
        if "parameters" not in output:
            continue  # sent as JSON data
        n = output["parameters"]["binary_data_size"]
        chunk, offset = tail[offset : offset + n], offset + n
        if output["datatype"] == "BYTES":
            items, i = [], 0
            while i < len(chunk):
                (length,) = struct.unpack_from("<I", chunk, i)
                items.append(chunk[i + 4 : i + 4 + length].decode())
                i += 4 + length
            arrays[output["name"]] = np.array(items, dtype=object).reshape(output["shape"])
        else:
            arrays[output["name"]] = np.frombuffer(chunk, "<f4").reshape(output["shape"])
    assert offset == len(tail)
    return header, arrays


# ---------------------------------------------------------------- health and metadata
def test_the_server_is_live_and_ready_when_a_model_is_loaded(client) -> None:
    assert client.get("/v2/health/live").get_json() == {"live": True}
    response = client.get("/v2/health/ready")
    assert response.status_code == 200 and response.get_json() == {"ready": True}
    assert client.get("/v2/models/mlp/ready").get_json() == {"name": "mlp", "ready": True}


def test_without_a_model_the_server_is_live_but_not_ready_and_says_why(make_client, tmp_path) -> None:
    client = make_client(model_dir=tmp_path / "empty")
    assert client.get("/v2/health/live").status_code == 200
    for path in ("/v2/health/ready", "/v2/models/mlp/ready", "/v2/models/mlp"):
        response = client.get(path)
        assert response.status_code == 503 and "no model is loaded" in response.get_json()["error"]
    assert post(client, {"inputs": [tensor()]}).status_code == 503


def test_server_metadata_names_the_binary_extension(client) -> None:
    body = client.get("/v2").get_json()
    assert body == {"name": "mlp-service", "version": body["version"], "extensions": ["binary_tensor_data"]}


def test_model_metadata_describes_the_input_and_outputs_with_a_batch_dimension(client, store_dir) -> None:
    version = ModelStore(store_dir).active_version()
    expected = {
        "name": "mlp",
        "versions": [version],
        "platform": "numpy-mlp",
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [
            {"name": "predictions", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
        ],
    }
    assert client.get("/v2/models/mlp").get_json() == expected
    assert client.get(f"/v2/models/mlp/versions/{version}").get_json() == expected
    assert client.get(f"/v2/models/mlp/versions/{version}/ready").get_json() == {"name": "mlp", "ready": True}


def test_the_model_name_follows_the_setting(make_client) -> None:
    client = make_client(model_name="iris")
    assert client.get("/v2/models/iris").get_json()["name"] == "iris"
    assert client.get("/v2/models/mlp").status_code == 404
    response = client.post("/v2/models/iris/infer", data=json.dumps({"inputs": [tensor()]}))
    assert response.get_json()["model_name"] == "iris"


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("get", "/v2/models/other", "unknown_model"),
        ("get", "/v2/models/other/ready", "unknown_model"),
        ("post", "/v2/models/other/infer", "unknown_model"),
        ("get", "/v2/models/mlp/versions/20200101T000000000000Z-abcdef", "unknown_version"),
        ("get", "/v2/models/mlp/versions/not-a-version/ready", "unknown_version"),
        ("post", "/v2/models/mlp/versions/7/infer", "unknown_version"),
    ],
)
def test_an_unknown_model_or_version_is_404_with_an_error_string(client, method, path, code) -> None:
    response = getattr(client, method)(path, data=json.dumps({"inputs": [tensor()]}))
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["code"] == code and isinstance(response.get_json()["error"], str)


def test_a_stored_inactive_version_is_served_by_its_id_and_the_active_one_is_untouched(
    client, store_dir, iris
) -> None:
    store = ModelStore(store_dir)
    first = store.active_version()
    other = Network(hidden=(3,), seed=5)
    other.fit(*iris, epochs=2, feature_names=IRIS_FEATURES)
    second = store.publish(other.save, {}, activate=False).version
    response = client.post(f"/v2/models/mlp/versions/{second}/infer", data=json.dumps({"inputs": [tensor()]}))
    assert response.status_code == 200 and response.get_json()["model_version"] == second
    expected = other.predict_proba(np.array(ROWS)).astype(np.float32).ravel()
    np.testing.assert_array_equal(np.float32(response.get_json()["outputs"][1]["data"]), expected)
    assert post(client, {"inputs": [tensor()]}).get_json()["model_version"] == first
    assert client.get("/v2/models/mlp").get_json()["versions"] == [first, second]


def test_the_version_cache_keeps_the_last_few_and_forgets_pruned_versions(tmp_path, iris_net) -> None:
    store = ModelStore(tmp_path)
    versions = [store.publish(iris_net.save, {}).version for _ in range(3)]
    cache = VersionCache(store, size=2)
    snapshots = [cache.get(version) for version in versions]
    assert cache.get(versions[2]) is snapshots[2] and cache.get(versions[1]) is snapshots[1]
    assert cache.get(versions[0]) is not snapshots[0]  # evicted, loaded again
    ModelStore(tmp_path, retention=1).prune()  # the oldest goes; the active and rollback target stay
    with pytest.raises(ApiError) as error:
        cache.get(versions[0])
    assert error.value.status == 404


# ---------------------------------------------------------------- inference, JSON
@pytest.mark.parametrize("datatype", ["FP32", "FP64"])
@pytest.mark.parametrize("nested", [False, True])
def test_json_inference_equals_predict_for_flat_and_nested_data(client, datatype, nested) -> None:
    input_tensor = tensor(datatype=datatype)
    if nested:
        input_tensor["data"] = ROWS
    response = post(client, {"id": "req-1", "inputs": [input_tensor]})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    rows = np.array(ROWS, dtype=np.float32 if datatype == "FP32" else np.float64).tolist()  # what FP32 means
    reference = client.post("/predict", json={"instances": rows, "return_probabilities": True}).get_json()
    assert body["model_name"] == "mlp" and body["model_version"] == reference["model_version"]
    assert body["id"] == "req-1"
    predictions, probabilities = body["outputs"]
    assert predictions == {"name": "predictions", "datatype": "BYTES", "shape": [3],
                           "data": reference["predictions"]}  # fmt: skip
    assert probabilities["datatype"] == "FP32" and probabilities["shape"] == [3, 3]
    np.testing.assert_array_equal(
        np.float32(probabilities["data"]), np.float32(reference["probabilities"]).ravel()
    )
    assert response.headers["X-Model-Version"] == body["model_version"]


def test_requested_outputs_are_returned_in_the_requested_order_and_id_only_when_given(client) -> None:
    body = {"inputs": [tensor()], "outputs": [{"name": "probabilities"}, {"name": "predictions"}]}
    response = post(client, body).get_json()
    assert [output["name"] for output in response["outputs"]] == ["probabilities", "predictions"]
    assert "id" not in response
    only = post(client, {"inputs": [tensor()], "outputs": [{"name": "predictions"}]}).get_json()
    assert [output["name"] for output in only["outputs"]] == ["predictions"]


def test_a_body_without_content_type_and_with_unknown_parameters_is_accepted(client) -> None:
    body = {"inputs": [tensor(parameters={"note": "x"})], "parameters": {"priority": 1, "custom": "y"}}
    response = client.post(INFER, data=json.dumps(body), content_type=None)
    assert response.status_code == 200


def test_inference_rows_are_counted_in_the_metrics(client) -> None:
    post(client, {"inputs": [tensor()]})
    assert "mlp_predicted_rows_total 3.0" in client.get("/metrics").get_data(as_text=True)


# ---------------------------------------------------------------- inference, binary extension
def test_binary_inputs_and_outputs_equal_json_inference(client) -> None:
    data, headers = binary_request(np.array(ROWS), "FP32", id="bin", parameters={"binary_data_output": True})
    response = post(client, data, headers)
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    header, arrays = decode_binary_response(response)
    assert header["id"] == "bin" and all("data" not in output for output in header["outputs"])
    reference = post(client, {"inputs": [tensor(datatype="FP32")]}).get_json()["outputs"]
    assert arrays["predictions"].tolist() == reference[0]["data"]
    np.testing.assert_array_equal(arrays["probabilities"].ravel(), np.float32(reference[1]["data"]))


def test_a_binary_flag_on_an_output_overrides_the_request_level_default(client) -> None:
    outputs = [{"name": "predictions", "parameters": {"binary_data": False}}, {"name": "probabilities"}]
    data, headers = binary_request(
        np.array(ROWS), "FP64", outputs=outputs, parameters={"binary_data_output": True}
    )
    header, arrays = decode_binary_response(post(client, data, headers))
    predictions = header["outputs"][0]
    assert "parameters" not in predictions and len(predictions["data"]) == 3
    assert arrays["probabilities"].shape == (3, 3)


def test_binary_inputs_with_json_outputs_answer_plain_json(client) -> None:
    data, headers = binary_request(np.array(ROWS))
    response = post(client, data, headers)
    assert response.mimetype == "application/json" and HEADER_LENGTH not in response.headers
    assert (
        response.get_json()["outputs"][0]["data"]
        == post(client, {"inputs": [tensor()]}).get_json()["outputs"][0]["data"]
    )


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_request_body_is_inflated(client, encoding) -> None:
    data, headers = binary_request(np.array(ROWS))
    packed = gzip.compress(data) if encoding == "gzip" else zlib.compress(data)
    response = post(client, packed, {**headers, "Content-Encoding": encoding})
    assert response.status_code == 200 and len(response.get_json()["outputs"]) == 2


# ---------------------------------------------------------------- bad requests
def _with(**fields) -> dict:
    return {"inputs": [tensor(**fields)]}


INF_FLAT = (
    '{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, -Infinity]}]}'
)
INF_NESTED = (
    '{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2, 3, Infinity]]}]}'
)


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ("not json", [], "not valid JSON"),
        ("{}", ["inputs"], "Field required"),
        ({"inputs": []}, ["inputs"], "at least 1 item"),
        ({"inputs": [tensor()], "extra": 1}, ["extra"], "Extra inputs"),
        (_with(datatype="INT64", data=[5, 3, 1, 0] * 3), ["inputs", 0, "datatype"], "'FP32' or 'FP64'"),
        (_with(datatype="BYTES", data=["5"] * 12), ["inputs", 0, "datatype"], "'FP32' or 'FP64'"),
        (_with(datatype="INT8"), ["inputs", 0, "datatype"], "one of FP32, FP64, INT64, INT32, BYTES"),
        ({"inputs": [{"name": "input", "shape": [3, 4], "data": [1] * 12}]}, ["inputs", 0, "datatype"],
         "Field required"),
        ({"inputs": [tensor(), {**tensor(), "name": "petal_width"}]}, ["inputs", 1, "name"],
         "give no other input"),
        (_with(name="x"), ["inputs", 0, "name"], "unknown input name"),
        ({"inputs": [tensor(), tensor()]}, ["inputs", 1], "more than once"),
        (_with(shape=[12]), ["inputs", 0, "shape"], "must be [batch, 4]"),
        (_with(shape=[3, 4, 1]), ["inputs", 0, "shape"], "must be [batch, 4]"),
        (_with(shape=[4, 3]), ["inputs", 0, "shape"], "must be [batch, 4]"),
        (_with(shape=[0, 4], data=[]), ["inputs", 0, "shape"], "got 0"),
        (_with(shape=[-1, 4]), ["inputs", 0, "shape", 0], "greater than or equal to 0"),
        (_with(shape=[2, 4]), ["inputs", 0, "data"], "needs 8 values, got 12"),
        (_with(data=[[1, 2, 3, 4], [1, 2, 3], [1, 2, 3, 4]]), ["inputs", 0, "data", 1],
         "expected 4 features, got 3"),
        (_with(data=[[1, 2, 3, 4]]), ["inputs", 0, "data"], "3 rows of 4"),
        (_with(data=None), ["inputs", 0, "data"], "missing"),
        (INF_FLAT, ["inputs", 0, "data", 3], "must be a finite"),
        (INF_NESTED, ["inputs", 0, "data", 0, 3], "must be a finite"),
        (_with(data=[1, 2, 3, "4"] * 3), ["inputs", 0, "data", 3], "valid number"),
        (_with(data=[1, 2, 3, True] * 3), ["inputs", 0, "data", 3], "valid number"),
        (_with(data="1 2 3"), ["inputs", 0, "data"], "valid array"),
        (_with(datatype="FP32", data=[1, 1, 1, 1, 1e39, 1, 1, 1, 1, 1, 1, 1]), ["inputs", 0, "data", 4],
         "finite float32 number"),
        (_with(datatype="FP32", data=[[1, 1, 1, 1], [1, 1e39, 1, 1], [1, 1, 1, 1]]),
         ["inputs", 0, "data", 1, 1],
         "finite float32 number"),
        ({"inputs": [tensor()], "outputs": [{"name": "labels"}]}, ["outputs", 0, "name"], "unknown output"),
        ({"inputs": [tensor()], "outputs": [{"name": "predictions"}] * 2}, ["outputs", 1, "name"],
         "more than once"),
        ({"inputs": [tensor()], "outputs": [{"name": "predictions", "parameters": {"classification": 2}}]},
         ["outputs", 0, "parameters"], "classification extension"),
        ({"inputs": [tensor()], "parameters": {"binary_data_output": "yes"}},
         ["parameters", "binary_data_output"], "valid boolean"),
        ({"inputs": [tensor()], "id": 7}, ["id"], "valid string"),
        (_with(parameters={"binary_data_size": 96}), ["inputs", 0, "parameters", "binary_data_size"],
         "not both"),
        ({"inputs": [{**tensor(datatype="FP32", data=None), "parameters": {"binary_data_size": 48}}]},
         ["inputs", 0, "parameters", "binary_data_size"], "header set?"),
    ],
)  # fmt: skip
def test_bad_inference_requests_are_400_with_an_error_string_and_a_location(
    client, body, loc, message
) -> None:
    response = post(client, body)
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()
    assert error["code"] == "v2_bad_request"
    assert isinstance(error["error"], str) and "\n" not in error["error"]
    assert message in error["error"], error["error"]
    assert error["detail"][0]["loc"] == loc


def _binary(header: dict, raw: bytes, length: str | None = None) -> tuple[bytes, dict]:
    text = json.dumps(header).encode()
    return text + raw, {HEADER_LENGTH: length or str(len(text))}


BINARY_INPUT = {"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}
FOUR = np.float32(SETOSA).tobytes()


@pytest.mark.parametrize(
    ("data_and_headers", "message"),
    [
        (_binary({"inputs": [BINARY_INPUT]}, FOUR, length="twelve"), "must be an integer"),
        (_binary({"inputs": [BINARY_INPUT]}, FOUR, length="100000"), "the body has"),
        (_binary({"inputs": [BINARY_INPUT]}, FOUR, length="0"), "the body has"),
        (_binary({"inputs": [BINARY_INPUT]}, FOUR[:12]), "12 bytes follow"),
        (_binary({"inputs": [BINARY_INPUT]}, FOUR + b"\0"), "1 byte(s) after the JSON belong to no input"),
        (_binary({"inputs": [{**BINARY_INPUT, "parameters": {"binary_data_size": 32}}]}, FOUR * 2),
         "needs 16 bytes"),
        (_binary({"inputs": [tensor()]}, b"\0\0\0\0"), "belong to no input"),
        (_binary({"inputs": [BINARY_INPUT]}, np.float32([1, 2, 3, np.inf]).tobytes()),
         "inputs.0.data.3: must be a finite float32 number"),
        (_binary({"inputs": [BINARY_INPUT]}, FOUR, length="5"), "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_binary_requests_are_400_with_an_error_string(client, data_and_headers, message) -> None:
    response = post(client, *data_and_headers)
    assert response.status_code == 400 and response.get_json()["code"] == "v2_bad_request"
    assert message in response.get_json()["error"], response.get_json()["error"]


def test_more_rows_than_the_limit_is_400_naming_the_limit(make_client) -> None:
    client = make_client(max_rows=2)
    response = post(client, {"inputs": [tensor()]})
    assert response.status_code == 400 and "1 to 2 rows per request, got 3" in response.get_json()["error"]


def test_bodies_over_the_limit_are_413_also_once_decompressed(make_client) -> None:
    client = make_client(max_body_bytes=2048)
    big = json.dumps(_with(data=[1.0] * 4000, shape=[1000, 4])).encode()
    assert post(client, big).status_code == 413
    bomb = gzip.compress(big)
    assert len(bomb) < 2048
    response = post(client, bomb, {"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "decompressed" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("encoding", "body", "status"),
    [("br", b"x", 415), ("gzip", b"not gzip", 400), ("gzip", gzip.compress(b"{}")[:-9], 400)],
)  # fmt: skip
def test_unsupported_or_broken_compression_is_refused(client, encoding, body, status) -> None:
    response = post(client, body, {"Content-Encoding": encoding})
    assert response.status_code == status and isinstance(response.get_json()["error"], str)


def test_input_values_are_not_echoed_back_in_errors(client) -> None:
    response = post(client, _with(data=[1, 2, 3, "secret-value"] * 3))
    assert "secret-value" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- other tasks
@pytest.fixture(scope="module")
def regressor() -> Network:
    x = np.random.default_rng(0).normal(size=(64, 4))
    net = Network(hidden=(4,), seed=0, task="regression")
    net.fit(x, x @ [1.0, -2.0, 0.5, 3.0], epochs=3, feature_names=IRIS_FEATURES)
    return net


def test_a_regressor_answers_the_same_float64_predictions_as_predict_and_has_no_probabilities(
    regressor, client_for
) -> None:
    client = client_for(regressor)
    outputs = client.get("/v2/models/mlp").get_json()["outputs"]
    assert outputs == [{"name": "predictions", "datatype": "FP64", "shape": [-1]}]
    big = [[1e5 * v for v in row] for row in ROWS]  # large values: FP32 would round them
    body = post(client, {"inputs": [tensor(rows=big)]}).get_json()
    reference = client.post("/predict", json={"instances": big}).get_json()["predictions"]
    assert body["outputs"][0]["data"] == reference
    response = post(client, {"inputs": [tensor()], "outputs": [{"name": "probabilities"}]})
    assert response.status_code == 400


def test_a_multilabel_classifier_answers_0_1_predictions_per_label(client_for) -> None:
    x = np.random.default_rng(1).normal(size=(64, 4))
    net = Network(hidden=(4,), seed=0)
    net.fit(x, (x[:, :3] > 0).astype(int), epochs=3, feature_names=IRIS_FEATURES)
    client = client_for(net)
    predictions = post(client, {"inputs": [tensor()]}).get_json()["outputs"][0]
    reference = client.post("/predict", json={"instances": ROWS}).get_json()["predictions"]
    assert predictions["datatype"] == "INT64" and predictions["shape"] == [3, 3]
    assert predictions["data"] == [v for row in reference for v in row]


# ---------------------------------------------------------------- documentation
def test_the_openapi_document_lists_every_v2_route(client) -> None:
    document = client.get("/openapi.json").get_json()
    for path in ("/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/{name}",
                 "/v2/models/{name}/versions/{version}", "/v2/models/{name}/ready",
                 "/v2/models/{name}/versions/{version}/ready"):  # fmt: skip
        assert "get" in document["paths"][path]
    infer = document["paths"]["/v2/models/{name}/infer"]["post"]
    assert set(infer["responses"]) == {"200", "400", "404", "413", "415", "503"}
    assert infer["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "V2InferenceRequest"
    )
    assert "/v2/models/{name}/versions/{version}/infer" in document["paths"]
    assert client.get("/openapi.json").get_json() == document  # registering is idempotent


# ---------------------------------------------------------------- mixed-type models: one tensor per feature
PENGUIN_ROWS = [
    ["Atlantis", 47.5, 217.0, 5000.0, "male"],  # an unknown island
    ["Biscoe", 47.5, None, None, None],  # missing values
    GENTOO,
    ADELIE,
]
DATATYPES = {"island": "BYTES", "sex": "BYTES", "bill_length_mm": "FP32", "flipper_length_mm": "INT64",
             "body_mass_g": "FP64"}  # fmt: skip


@pytest.fixture
def penguins_client(client_for, penguins_net):
    return client_for(penguins_net)


def feature_tensors(rows=PENGUIN_ROWS, nested: bool = False, **changes) -> list[dict]:
    """One JSON tensor per feature, in the model's order; ``changes`` replace fields by feature."""
    tensors = []
    for j, name in enumerate(PENGUIN_FEATURES):
        column = [row[j] for row in rows]
        if DATATYPES[name] == "INT64":
            column = [None if v is None else int(v) for v in column]
        shape = [len(rows), 1] if nested else [len(rows)]
        data = [[v] for v in column] if nested else column
        tensor = {"name": name, "datatype": DATATYPES[name], "shape": shape, "data": data}
        tensors.append({**tensor, **changes.get(name, {})})
    return tensors


def test_mixed_model_metadata_lists_one_input_per_feature_with_its_datatype(penguins_client) -> None:
    inputs = penguins_client.get("/v2/models/mlp").get_json()["inputs"]
    assert inputs == [
        {"name": "island", "datatype": "BYTES", "shape": [-1]},
        {"name": "bill_length_mm", "datatype": "FP32", "shape": [-1]},
        {"name": "flipper_length_mm", "datatype": "FP32", "shape": [-1]},
        {"name": "body_mass_g", "datatype": "FP32", "shape": [-1]},
        {"name": "sex", "datatype": "BYTES", "shape": [-1]},
    ]


@pytest.mark.parametrize("nested", [False, True])
def test_json_tensors_per_feature_equal_predict_with_nulls_and_unknown_categories(
    penguins_client, nested
) -> None:
    inputs = feature_tensors(nested=nested)
    body = post(penguins_client, {"inputs": list(reversed(inputs))}).get_json()  # any order of inputs
    rows = [[row[0], float(np.float32(row[1])), *row[2:]] for row in PENGUIN_ROWS]  # FP32 values as sent
    reference = penguins_client.post(
        "/predict", json={"instances": rows, "return_probabilities": True}
    ).get_json()
    predictions, probabilities = body["outputs"]
    assert predictions["data"] == reference["predictions"] and predictions["shape"] == [4]
    np.testing.assert_array_equal(
        np.float32(probabilities["data"]), np.float32(reference["probabilities"]).ravel()
    )


def _bytes_elements(texts: list[str]) -> bytes:
    return b"".join(struct.pack("<I", len(text.encode())) + text.encode() for text in texts)


def test_binary_tensors_per_feature_take_length_prefixed_bytes_and_nan_as_missing(penguins_client) -> None:
    rows = PENGUIN_ROWS
    raw = {
        "island": _bytes_elements([row[0] for row in rows]),
        "bill_length_mm": np.array([row[1] for row in rows], "<f4").tobytes(),
        "flipper_length_mm": np.array(
            [np.nan if row[2] is None else row[2] for row in rows], "<f8"
        ).tobytes(),
        "body_mass_g": np.array([np.nan if row[3] is None else row[3] for row in rows], "<f4").tobytes(),
        "sex": _bytes_elements(["" if row[4] is None else row[4] for row in rows]),  # "": a missing token
    }
    datatypes = {**DATATYPES, "flipper_length_mm": "FP64", "body_mass_g": "FP32"}
    inputs = [
        {
            "name": name,
            "datatype": datatypes[name],
            "shape": [4],
            "parameters": {"binary_data_size": len(data)},
        }
        for name, data in raw.items()
    ]
    header = json.dumps({"inputs": inputs, "parameters": {"binary_data_output": True}}).encode()
    response = post(penguins_client, header + b"".join(raw.values()), {HEADER_LENGTH: str(len(header))})
    assert response.status_code == 200, response.get_data()
    _, arrays = decode_binary_response(response)
    json_body = post(penguins_client, {"inputs": feature_tensors()}).get_json()
    assert arrays["predictions"].tolist() == json_body["outputs"][0]["data"]
    np.testing.assert_array_equal(
        arrays["probabilities"].ravel(), np.float32(json_body["outputs"][1]["data"])
    )


def test_unknown_categories_and_imputed_values_sent_to_v2_are_counted(penguins_client) -> None:
    assert post(penguins_client, {"inputs": feature_tensors()}).status_code == 200
    metrics = penguins_client.get("/metrics").get_data(as_text=True)
    assert "mlp_unknown_category_values_total 1.0" in metrics and "mlp_imputed_values_total 3.0" in metrics


def test_an_all_numeric_model_takes_one_tensor_per_feature_too_and_nan_in_input_as_missing(client) -> None:
    per_feature = [{"name": name, "datatype": "FP64", "shape": [3], "data": [row[j] for row in ROWS]}
                   for j, name in enumerate(IRIS_FEATURES)]  # fmt: skip
    one_tensor = post(client, {"inputs": [tensor()]}).get_json()["outputs"]
    assert post(client, {"inputs": per_feature}).get_json()["outputs"] == one_tensor
    data, headers = binary_request(np.array([[5.1, np.nan, 1.4, 0.2]]), "FP64")
    with_nan = post(client, data, headers).get_json()["outputs"][0]["data"]
    with_null = client.post("/predict", json={"instances": [[5.1, None, 1.4, 0.2]]}).get_json()["predictions"]
    assert with_nan == with_null


def _mixed(**changes) -> dict:
    return {"inputs": feature_tensors(**changes)}


def _without(name: str) -> dict:
    return {"inputs": [t for t in feature_tensors() if t["name"] != name]}


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"inputs": [tensor(rows=[[1.0] * 5])]}, ["inputs", 0, "name"], "one input per feature ('island'"),
        ({"inputs": [*feature_tensors(), {**feature_tensors()[1], "name": "beak"}]}, ["inputs", 5, "name"],
         "unknown input name"),
        ({"inputs": [*feature_tensors(), feature_tensors()[0]]}, ["inputs", 5, "name"], "more than once"),
        (_without("sex"), ["inputs"], "no input for the features 'sex'"),
        (_mixed(body_mass_g={"datatype": "BYTES", "data": ["1"] * 4}), ["inputs", 3, "datatype"],
         "feature 'body_mass_g' is numeric"),
        (_mixed(sex={"shape": [3]}), ["inputs", 4, "shape"], "batch 3 differs from the first input's, 4"),
        (_mixed(island={"shape": [4, 2]}), ["inputs", 0, "shape"], "must be [batch] or [batch, 1]"),
        (_mixed(island={"shape": [2]}), ["inputs", 0, "data"], "needs 2 values, got 4"),
        (_mixed(bill_length_mm={"data": [1.0, "2", 3.0, 4.0]}), ["inputs", 1, "data", 1], "valid number"),
        (_mixed(flipper_length_mm={"data": [217, 217.5, 1, 2]}), ["inputs", 2, "data", 1], "valid integer"),
        (_mixed(island={"data": ["Biscoe", 5, "Dream", None]}), ["inputs", 0, "data", 1], "valid string"),
        (_mixed(body_mass_g={"data": [1.0, 1e400, 2.0, 3.0]}), ["inputs", 3, "data", 1],
         "finite number (feature 'body_mass_g', row 1)"),
        (_mixed(sex={"data": None}), ["inputs", 4, "data"], "missing"),
    ],
)  # fmt: skip
def test_bad_tensors_per_feature_are_400_naming_the_input_row_and_feature(
    penguins_client, body, loc, message
) -> None:
    response = post(penguins_client, body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["code"] == "v2_bad_request" and error["detail"][0]["loc"] == loc
    assert message in error["error"], error["error"]


def _binary_island(raw: bytes, size: int | None = None) -> tuple[bytes, dict]:
    tensors = feature_tensors()
    tensors[0] = {"name": "island", "datatype": "BYTES", "shape": [4],
                  "parameters": {"binary_data_size": len(raw) if size is None else size}}  # fmt: skip
    header = json.dumps({"inputs": tensors}).encode()
    return header + raw, {HEADER_LENGTH: str(len(header))}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_bytes_elements(["Biscoe", "Dream", "Dream"]), "element 3 of 4 is cut short"),
        (_bytes_elements(["Biscoe", "Dream", "Dream"]) + b"\x09\0\0\0abc", "element 3 of 4 is cut short"),
        (_bytes_elements(["Biscoe"] * 4) + b"\0", "1 bytes after the 4 elements"),
        (_bytes_elements(["Biscoe", "Dream"]) + b"\x02\0\0\0\xff\xfe" + _bytes_elements(["x"]),
         "must be UTF-8 text (feature 'island', row 2)"),
    ],
)  # fmt: skip
def test_bad_binary_bytes_tensors_are_400_naming_the_element(penguins_client, raw, message) -> None:
    response = post(penguins_client, *_binary_island(raw))
    assert response.status_code == 400 and message in response.get_json()["error"], response.get_json()


def test_binary_bytes_announced_beyond_the_body_are_refused(penguins_client) -> None:
    response = post(penguins_client, *_binary_island(_bytes_elements(["Biscoe"] * 4), size=1000))
    assert response.status_code == 400 and "1000 bytes announced" in response.get_json()["error"]
