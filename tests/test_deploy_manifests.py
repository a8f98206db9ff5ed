"""deploy/: the Kubernetes manifests against the Kubernetes schemas, and the wiring of both
deployments (compose and Kubernetes) to the image: port, probes, store, token, hardening."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert {"/models", "/tmp", "/dev/shm"} <= set(mounts)  # store, MLP_METRICS_DIR, heartbeat
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert volumes[mounts["/models"]]["persistentVolumeClaim"]["claimName"] == "mlp-models"
    env = {variable["name"]: variable["value"] for variable in container["env"]}
    token_mount = next(mount for mount in container["volumeMounts"] if mount["name"] == "api-token")
    assert env["MLP_API_TOKEN_FILE"] == token_mount["mountPath"] + "/token"
    assert volumes["api-token"]["secret"]["secretName"] == "mlp-api-token"
    assert "token" in resources()["Secret", "mlp-api-token"]["stringData"]
    assert int(env["MLP_WORKERS"]) == int(container["resources"]["limits"]["cpu"])
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
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    autoscaler = resources()["HorizontalPodAutoscaler", "mlp-service"]
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mlp-service"}
    assert autoscaler["spec"]["scaleTargetRef"] == target
    (metric,) = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 2 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]


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
