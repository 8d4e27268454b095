"""Blueprints, registered by app.create_app."""
