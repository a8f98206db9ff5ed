"""The service's blueprints: thin views over the Flask-free functions of the service."""
