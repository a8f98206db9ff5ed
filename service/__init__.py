"""The prediction service: a Flask app over the model store, run by gunicorn.

gunicorn -c service/gunicorn.conf.py 'service:create_app()'
"""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
