"""deploy/: the Kubernetes manifests against the Kubernetes schemas, and the wiring of both
deployments (compose and Kubernetes) to the image: port, probes, store, token, hardening, and
the nginx proxy in front of gunicorn (tests/test_proxy_buffering.py runs it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.settings import Settings

yaml = pytest.importorskip("yaml")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").rglob("*.yaml"))
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
"""The oldest Kubernetes release still common in managed clusters, and the newest schema shipped."""
APP_UID = 10001


def documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def resources() -> dict[tuple[str, str], dict]:
    by_kind_and_name = {}
    for path in MANIFESTS:
        for document in documents(path):
            metadata = document["metadata"]
            by_kind_and_name[document["kind"], metadata.get("name", metadata.get("generateName"))] = document
    return by_kind_and_name


def container(spec: dict, name: str) -> dict:
    return next(container for container in spec["containers"] if container["name"] == name)


Directive = tuple[str, tuple[str, ...], list]
"""An nginx directive: name, arguments, and the directives of its block ([] for none)."""
NGINX_TOKEN = re.compile(r"#[^\n]*|'[^']*'|\"[^\"]*\"|[{};]|[^\s{};'\"#]+")


def nginx_directives(text: str) -> list[Directive]:
    """nginx's configuration syntax, enough for these files: directives, blocks, quotes, comments."""
    stack: list[list[Directive]] = [[]]
    words: list[str] = []
    for token in NGINX_TOKEN.findall(text):
        if token.startswith("#"):
            continue
        if token in (";", "{"):
            children: list[Directive] = []
            stack[-1].append((words[0], tuple(words[1:]), children))
            words = []
            if token == "{":
                stack.append(children)
        elif token == "}":
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unbalanced nginx configuration"
    return stack[0]


def nginx_values(directives: list[Directive], name: str) -> list[tuple[str, ...]]:
    """The arguments of each ``name`` directive."""
    return [found for key, found, _ in directives if key == name]


def nginx_block(directives: list[Directive], name: str, *args: str) -> list[Directive]:
    """The directives in the one ``name args {...}`` block."""
    (block,) = [children for key, found, children in directives if (key, found) == (name, args)]
    return block


def proxy_configmap() -> dict[str, str]:
    return resources()["ConfigMap", "mlp-proxy"]["data"]


def pod_specs() -> list[tuple[str, dict]]:
    return [
        (name, resource["spec"]["template"]["spec"])
        for (kind, name), resource in resources().items()
        if kind in ("Deployment", "Job")
    ]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: str(path.relative_to(DEPLOY)))
def test_every_manifest_is_valid_against_the_strict_kubernetes_schema(path, version):
    for document in documents(path):
        kubernetes_validate.validate(document, version, strict=True)


def test_every_pod_runs_hardened_as_the_container_smoke_test_runs_the_image():
    for name, spec in pod_specs():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == pod["runAsGroup"] == APP_UID, name
        assert pod["fsGroup"] == APP_UID, name  # the shared store is writable by the app user
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["limits"]["memory"], name


def test_the_deployment_probes_readiness_and_liveness_and_mounts_every_writable_path():
    deployment = resources()["Deployment", "mlp-service"]
    spec = deployment["spec"]["template"]["spec"]
    app = container(spec, "mlp-service")
    assert app["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "gunicorn"}
    assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": "gunicorn"}
    assert app["ports"] == [{"name": "gunicorn", "containerPort": 8000}]
    mounts = {mount["mountPath"]: mount["name"] for mount in app["volumeMounts"]}
    assert {"/models", "/tmp", "/dev/shm"} <= set(mounts)  # store, MLP_METRICS_DIR, heartbeat
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert volumes[mounts["/models"]]["persistentVolumeClaim"]["claimName"] == "mlp-models"
    env = {variable["name"]: variable["value"] for variable in app["env"]}
    token_mount = next(mount for mount in app["volumeMounts"] if mount["name"] == "api-token")
    assert env["MLP_API_TOKEN_FILE"] == token_mount["mountPath"] + "/token"
    assert volumes["api-token"]["secret"]["secretName"] == "mlp-api-token"
    assert "token" in resources()["Secret", "mlp-api-token"]["stringData"]
    assert int(env["MLP_WORKERS"]) == int(app["resources"]["limits"]["cpu"])
    assert deployment["spec"]["replicas"] >= 2


def test_the_store_claim_is_shared_and_every_job_publishes_into_it():
    claim = resources()["PersistentVolumeClaim", "mlp-models"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    jobs = [name for name, spec in pod_specs() if name != "mlp-service"]
    assert sorted(jobs) == ["mlp-seed-model", "mlp-train-"]
    for name, spec in pod_specs():
        claims = [
            volume["persistentVolumeClaim"]["claimName"]
            for volume in spec["volumes"]
            if "persistentVolumeClaim" in volume
        ]
        assert claims == ["mlp-models"], name
    commands = {name: spec["containers"][0]["command"] for name, spec in pod_specs() if name in jobs}
    assert commands["mlp-seed-model"] == ["mlp-train", "--if-no-active", "--model-dir", "/models"]
    assert commands["mlp-train-"][:3] == ["mlp-train", "--model-dir", "/models"]


def test_the_service_and_the_autoscaler_target_the_deployment():
    deployment = resources()["Deployment", "mlp-service"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = resources()["Service", "mlp-service"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "proxy"
    autoscaler = resources()["HorizontalPodAutoscaler", "mlp-service"]
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mlp-service"}
    assert autoscaler["spec"]["scaleTargetRef"] == target
    (metric,) = autoscaler["spec"]["metrics"]  # the app's CPU, not the proxy's
    resource = metric["containerResource"]
    assert (resource["name"], resource["container"]) == ("cpu", "mlp-service")
    assert 2 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]


# ------------------------------------------------------------------ the proxy sidecar

UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return int(number) * UNITS[unit]


def nginx_seconds(value: str) -> int:
    return int(re.fullmatch(r"(\d+)s", value).group(1))


def proxy_server() -> list[Directive]:
    return nginx_block(nginx_directives(proxy_configmap()["proxy.conf"]), "server")


def test_the_service_reaches_the_pods_only_through_the_proxy_sidecar_hardened_as_the_app():
    spec = resources()["Deployment", "mlp-service"]["spec"]["template"]["spec"]
    app, proxy = container(spec, "mlp-service"), container(spec, "proxy")
    assert proxy["ports"] == [{"name": "proxy", "containerPort": 8080}]
    assert resources()["Service", "mlp-service"]["spec"]["ports"][0]["targetPort"] == "proxy"
    server = proxy_server()
    assert nginx_values(server, "listen") == [("8080",)]
    assert nginx_values(server, "set") == [("$api", f"http://127.0.0.1:{app['ports'][0]['containerPort']}")]
    assert proxy["securityContext"] == app["securityContext"]
    assert proxy["resources"]["limits"]["cpu"] and proxy["resources"]["requests"]["memory"]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert proxy["image"] == compose["services"]["proxy"]["image"]
    mounts = {mount["name"]: mount["mountPath"] for mount in proxy["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert volumes["proxy-config"]["configMap"]["name"] == "mlp-proxy"
    assert proxy["command"] == ["nginx", "-c", f"{mounts['proxy-config']}/nginx.conf"]
    main = nginx_directives(proxy_configmap()["nginx.conf"])
    assert nginx_values(nginx_block(main, "http"), "include") == [(f"{mounts['proxy-config']}/proxy.conf",)]
    # The read-only root leaves one writable path: the pid file and every temporary path are in it.
    assert mounts["proxy-tmp"] == "/tmp" and "medium" not in volumes["proxy-tmp"]["emptyDir"]
    paths = [*nginx_values(main, "pid"), *(
        found for key, found, _ in nginx_block(main, "http") if key.endswith("_temp_path")
    )]
    assert len(paths) == 6 and all(found[0].startswith("/tmp/") for found in paths)
    assert nginx_values(main, "worker_processes") == [("1",)]  # "auto" counts the node's CPUs


def test_the_proxy_buffers_whole_requests_and_drops_slow_clients_before_a_worker_would_time_out():
    defaults = Settings.model_validate({}).model_dump()  # the defaults, derived limits filled in
    server = proxy_server()
    assert nginx_values(server, "proxy_request_buffering") == [("on",)]
    assert nginx_values(server, "proxy_buffering") == [("on",)]
    for timeout in ("client_header_timeout", "client_body_timeout"):
        ((value,),) = nginx_values(server, timeout)
        assert nginx_seconds(value) <= 10 < defaults["timeout_s"], timeout
    ((read_timeout,),) = nginx_values(server, "proxy_read_timeout")
    assert nginx_seconds(read_timeout) > defaults["timeout_s"]  # gunicorn answers (or times out) first
    ((size,),) = nginx_values(server, "client_max_body_size")
    assert nginx_size(size) == defaults["max_body_bytes"]
    train = nginx_block(server, "location", "=", "/train")
    ((train_size,),) = nginx_values(train, "client_max_body_size")
    assert nginx_size(train_size) == defaults["max_train_body_bytes"]
    # Buffering is bounded: requests in progress, and /train uploads among them.
    assert nginx_values(server, "limit_conn") == [("mlp_requests", "64")]
    assert nginx_values(train, "limit_conn") == [("mlp_requests", "64"), ("mlp_train", "2")]


def test_the_proxy_answers_its_own_refusals_in_the_service_error_shape():
    server = proxy_server()
    pages = nginx_values(server, "error_page")
    assert {status for *statuses, _ in pages for status in statuses} == {"413", "429", "502", "504"}
    for *statuses, location in pages:
        ((status, text),) = nginx_values(nginx_block(server, "location", location), "return")
        assert [status] == statuses
        body = json.loads(text.strip("'").removesuffix("\\n"))
        assert list(body) == ["error", "code", "detail"] and body["detail"] == [], location
    assert nginx_values(server, "default_type") == [("application/json",)]


def test_compose_and_kubernetes_run_the_same_proxy_server_but_for_the_upstream():
    compose = nginx_directives((DEPLOY / "nginx.conf").read_text())
    kubernetes = nginx_directives(proxy_configmap()["proxy.conf"])

    def shared(directives: list[Directive]) -> list[Directive]:
        return [
            (name, args, [child for child in children if child[0] not in ("resolver", "set")])
            for name, args, children in directives
        ]

    assert shared(compose) == shared(kubernetes)
    assert nginx_values(nginx_block(compose, "server"), "set") == [("$api", "http://api:8000")]


# ------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_several_hardened_replicas_on_one_store_volume(compose):
    api = compose["services"]["api"]
    assert api["deploy"]["replicas"] >= 2
    assert "ports" not in api  # reached through the proxy only
    assert api["volumes"] == ["models:/models"] and "models" in compose["volumes"]
    assert api["read_only"] is True and api["cap_drop"] == ["ALL"]
    assert api["security_opt"] == ["no-new-privileges:true"]
    assert any(mount.startswith("/tmp") for mount in api["tmpfs"])
    assert api["deploy"]["resources"]["limits"]["memory"]
    train = compose["services"]["train"]
    assert train["volumes"] == api["volumes"] and train["image"] == api["image"]
    assert train["command"][:1] == ["mlp-train"]


def test_compose_reads_the_token_from_a_secret_file(compose):
    api = compose["services"]["api"]
    (secret,) = api["secrets"]
    assert api["environment"]["MLP_API_TOKEN_FILE"] == f"/run/secrets/{secret}"
    assert "MLP_API_TOKEN" not in api["environment"]
    source = DEPLOY / compose["secrets"][secret]["file"]
    assert source.parent.is_dir()
    ignored = (source.parent / ".gitignore").read_text().splitlines()
    assert "*" in ignored  # the token file itself can never be committed


def test_compose_publishes_only_the_proxy_on_loopback_and_the_proxy_forwards_to_the_replicas(compose):
    proxy = compose["services"]["proxy"]
    assert all(port.startswith("127.0.0.1:") for port in proxy["ports"])
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    config = (DEPLOY / "nginx.conf").read_text()
    assert "http://api:8000" in config and "resolver 127.0.0.11" in config


def test_the_image_and_the_deployments_agree_on_the_store_path_and_the_port(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'VOLUME ["/models"]' in dockerfile and "MLP_MODEL_DIR=/models" in dockerfile
    assert "EXPOSE 8000" in dockerfile and "MLP_BIND=0.0.0.0:8000" in dockerfile
    for name, spec in pod_specs():
        mounts = [
            mount["mountPath"] for container in spec["containers"] for mount in container["volumeMounts"]
        ]
        assert "/models" in mounts, name
    assert compose["services"]["api"]["expose"] == ["8000"]
