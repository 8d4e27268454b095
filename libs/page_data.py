"""The lists the browser needs from the server, rendered into every page as one JSON block (`#page-data`).

Scripts and templates read these instead of keeping copies that drift: the live event names (libs/events.py),
the message types with their labels (models/message.py, libs/i18n.py) and the bounds of the forms
(wechat/form_bounds.py, handed in by the app factory: libs import nothing of the layers above them). Templates
also get `message_type_choices()` and `bounds(form, field)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

from libs.events import EVENT_NAMES, STREAM_EVENTS
from libs.i18n import MESSAGE_TYPE_LABELS
from models.message import MESSAGE_TYPES


def message_type_choices() -> list[tuple[str, str]]:
    """(type, label) in MESSAGE_TYPES order, labels in the current language."""
    return [(kind, str(MESSAGE_TYPE_LABELS[kind])) for kind in MESSAGE_TYPES]


FormBounds = Callable[[], dict[str, dict[str, dict[str, int]]]]


def _form_bounds() -> dict[str, dict[str, dict[str, int]]]:
    return current_app.extensions["form_bounds"]()


def bounds(form: str, field: str) -> Markup:
    """HTML attributes for a form field, e.g. ` data-bounds="automation.kick_quorum" min="2" max="500"` (the
    data attribute names the source, for tests); a KeyError (a 500 in tests) for a typo."""
    attributes = {"data-bounds": f"{form}.{field}", **_form_bounds()[form][field]}
    return Markup("".join(f' {name}="{escape(value)}"' for name, value in attributes.items()))


def page_data() -> dict[str, Any]:
    return {
        "events": sorted(EVENT_NAMES | STREAM_EVENTS),
        "message_types": [kind for kind, _ in message_type_choices()],
        "bounds": _form_bounds(),
    }


def init_page_data(app: Flask, form_bounds: FormBounds) -> None:
    """``form_bounds`` reads the validators' constants (they live with the service code, above libs)."""
    app.extensions["form_bounds"] = form_bounds

    @app.context_processor
    def page_data_context() -> dict:
        return {"page_data": page_data, "message_type_choices": message_type_choices, "bounds": bounds}
