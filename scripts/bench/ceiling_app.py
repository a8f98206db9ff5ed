"""The framework's ceiling: a Flask app that answers ``POST /predict`` with a fixed small JSON.

``bench_serve.py`` starts it with the service's own gunicorn config file
(``gunicorn -c service/gunicorn.conf.py --pythonpath scripts 'bench.ceiling_app:create_app()'``),
so both run under identical worker, preload and BLAS settings. The view reads the body (as
every real endpoint must) and does nothing else.
"""

from __future__ import annotations

from flask import Flask, Response, request

PREDICTION = b'{"predictions": [0]}'


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/predict")
    def predict() -> Response:
        request.get_data()
        return Response(PREDICTION, mimetype="application/json")

    @app.get("/ready")
    def ready() -> Response:
        return Response(b'{"ready": true}', mimetype="application/json")

    return app
