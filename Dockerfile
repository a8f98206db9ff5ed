# The prediction service: gunicorn + Flask + the NumPy network, with a default model trained
# at build time from the bundled digits, so a fresh container serves at once.
#
#   docker build -t mlp-service .
#   docker run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
#     --memory 512m -p 127.0.0.1:8000:8000 mlp-service
#
# Run-time configuration is the MLP_* environment (docs/settings.md). The only writable paths
# are the model store (/models, a volume), the tmpfs at /tmp (prometheus multiprocess files,
# MLP_METRICS_DIR) and /dev/shm (gunicorn's worker heartbeat); gunicorn's control socket is
# off (service/gunicorn.conf.py). CI builds and runs this file with buildah/podman on a local
# stand-in of the base image: scripts/container-smoke.sh.

# ---------------------------------------------------------------- build: venv, app, model
FROM docker.io/library/python:3.11-slim-bookworm AS build

# pip trusts the system CA store (a CI build behind a TLS-intercepting proxy mounts the host's
# bundle over that file for the RUN steps only: scripts/container-smoke.sh).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

# Our own venv: `python3` exists in the official image and in CI's stand-in alike.
# Dependencies first, from the lock alone, so that code changes reuse this layer.
WORKDIR /src
COPY constraints.txt ./
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --only-binary=:all: --no-deps -r constraints.txt

# A small init for PID 1 (a static binary in a PyPI wheel: no apt, no download of its own):
# it reaps orphans, such as a finished detached training runner, which gunicorn as PID 1
# adopted and logged as worker exits, and forwards SIGTERM to gunicorn.
RUN /opt/venv/bin/pip install --no-cache-dir --only-binary=:all: --no-deps dumb-init==1.2.5.post1

# The project as a wheel, unpacked into /app next to data/ (model/ finds data/ as its
# sibling, exactly as in the repository); a .pth file puts /app on the venv's path, so
# `gunicorn`, `mlp-train` and `python -m model.cli` all import the same single copy.
COPY pyproject.toml README.md ./
COPY model/ model/
COPY service/ service/
RUN /opt/venv/bin/pip install --no-cache-dir setuptools==84.2.1 \
 && /opt/venv/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps --target /app /tmp/wheels/mlp_service-*.whl \
 && /opt/venv/bin/python -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_path('purelib'), 'mlp-app.pth').write_text('/app\n')" \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/pip uninstall --yes setuptools pip \
 && rm -rf /tmp/wheels

# The default model: the CLI's default options on the bundled digits (about 1 s).
COPY data/ /app/data/
RUN /app/bin/mlp-train --model-dir /models

# ---------------------------------------------------------------- runtime
FROM docker.io/library/python:3.11-slim-bookworm

# One BLAS thread per worker (gunicorn.conf.py sets the same defaults); MLP_BIND opens the
# port beyond the container's loopback; MLP_METRICS_DIR lies on the /tmp tmpfs.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:/app/bin:$PATH \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    MLP_BIND=0.0.0.0:8000 \
    MLP_MODEL_DIR=/models \
    MLP_METRICS_DIR=/tmp/mlp-metrics

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The baked store belongs to the app user: a named volume mounted here starts as a copy of it
# (docker/podman copy-up) that the service's training jobs can publish to. Any other store
# mounted here (a bind mount, a Kubernetes volume) replaces it.
COPY --from=build --chown=10001:10001 /models /models

WORKDIR /app
USER 10001:10001
VOLUME ["/models"]
EXPOSE 8000

# Ready means a model is loaded (GET /ready is 503 until then).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; port = os.environ.get('MLP_BIND', ':8000').rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/ready', timeout=2)"]

# PID 1 is dumb-init; it passes SIGTERM to gunicorn alone (--single-child), which stops its
# workers gracefully. A training runner is in a session of its own: stopping the container
# kills it with the container, the job is reported failed at the next read, and nothing is
# published (docs/deployment.md).
ENTRYPOINT ["dumb-init", "--single-child", "--"]
# The README's start command, exec form.
CMD ["gunicorn", "-c", "service/gunicorn.conf.py", "service:create_app()"]
