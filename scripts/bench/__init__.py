"""Helpers of ``scripts/bench_serve.py``: the ceiling app, gunicorn processes, wrk runs."""
