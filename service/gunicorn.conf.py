"""gunicorn configuration: ``gunicorn -c service/gunicorn.conf.py 'service:create_app()'``.

Settings come from the same ``MLP_*`` variables as the app (``Settings``); ``--bind`` and
other command-line flags override this file. Measured on 2 cores (docs/benchmarks.md): sync workers,
one per core, gave the best tail latency; BLAS is pinned to one thread per worker because
multi-threaded OpenBLAS collapses when workers oversubscribe the cores.
"""

import logging.config
import os
import shutil
import tempfile

# Before numpy is imported anywhere (the app is preloaded below): one BLAS thread per worker.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Prometheus multiprocess mode: every worker writes its samples under one directory, which
# must be set (and emptied) before anything imports prometheus-client, hence before Settings
# (importing the service package imports it). This is the one place that reads MLP_METRICS_DIR
# directly; the app reads it back through Settings.
_metrics_dir = os.environ.get("MLP_METRICS_DIR") or tempfile.mkdtemp(prefix="mlp-metrics-")
shutil.rmtree(_metrics_dir, ignore_errors=True)
os.makedirs(_metrics_dir, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["MLP_METRICS_DIR"] = _metrics_dir

from service.settings import from_environment  # noqa: E402  (after the environment set-up above)

_settings = from_environment()  # a bad MLP_* value: one line naming it, exit 1

bind = _settings.bind
workers = _settings.worker_count()
worker_class = "sync"
timeout = _settings.timeout_s
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounds slow leaks); jitter staggers the restarts. With the app
# preloaded a recycle is a fork, not a 250 ms re-import.
max_requests = 50_000
max_requests_jitter = 5_000
preload_app = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True  # gunicorn >= 25 would open a socket under $HOME otherwise
accesslog = None  # the app writes one JSON line per request instead
errorlog = "/dev/stdout"  # everything on stdout, as containers expect
loglevel = _settings.log_level.lower()
# The app's loggers are configured here directly rather than through gunicorn's
# ``logconfig_dict``: with that setting gunicorn builds an access-log record for every
# request even when it writes none (measured: ~15-30 us of a ~0.5 ms request).
# Documented logging optimizations: no caller lookup (sys._getframe) or thread names per record.
logging._srcfile = None
logging.logThreads = False
logging.logMultiprocessing = False
logging.config.dictConfig(
    {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"},
            "access": {"format": "[%(process)d] %(name)s: %(message)s"},  # the JSON has the time
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
            "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
        },
        "loggers": {
            "service": {"handlers": ["stdout"], "level": _settings.log_level, "propagate": False},
            "service.access": {"handlers": ["access"], "level": _settings.log_level, "propagate": False},
            "model": {"handlers": ["stdout"], "level": _settings.log_level, "propagate": False},
        },
    }
)


def when_ready(server) -> None:
    # The preloaded app set its gauges in the master; workers write their own.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(os.getpid(), _metrics_dir)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)
