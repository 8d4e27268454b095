"""The JSON API's request and response models, one module per area (the views import them; libs/api_spec.py
turns them into validation and the OpenAPI document)."""
