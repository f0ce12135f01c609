"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from itad import create_app

app = create_app()
