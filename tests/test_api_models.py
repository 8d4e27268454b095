"""The API's models (libs/api_spec.py, libs/column_types.py, views/schemas/): limits come from the columns, the
document states them, and every operation documents what it answers."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from libs.api_spec import error_answer
from libs.column_types import ColumnInt, ColumnText
from libs.validation import INT32, column_length
from models.admin import ApiToken
from models.plugin import AutoReplyRule
from models.schedule import Schedule
from models.wechat import Contact
from views.openapi import spec


def schema(name: str) -> dict:
    return spec()["components"]["schemas"][name]["properties"]


def test_document_limits_are_the_columns():
    assert schema("TokenIn")["name"]["maxLength"] == column_length(ApiToken.name) == 80
    assert schema("BlacklistIn")["puid"]["maxLength"] == column_length(Contact.puid)
    position = schema("RuleChanges")["position"]
    assert (position["minimum"], position["maximum"]) == INT32  # MySQL INT, not Python's unbounded int


class Row(BaseModel):
    name: ColumnText(Schedule.name, strip=True, display_name=True)
    text: ColumnText(Schedule.text) = ""
    position: ColumnInt(AutoReplyRule.position) = 0


@pytest.mark.parametrize("data, field, needle", [
    ({"name": "x" * (column_length(Schedule.name) + 1)}, "name", "too long"),
    ({"name": "a\x00b"}, "name", "NUL"),
    ({"name": "\ud800"}, "name", "surrogate"),
    ({"name": "evil\u202egnp.exe"}, "name", "bidirectional"),
    ({"name": "ok", "text": "a\x00"}, "text", "NUL"),  # LONGTEXT: no length, the same storability check
    ({"name": "ok", "position": 2**31}, "position", "less than or equal"),
    ({"name": "ok", "position": True}, "position", "whole number"),
    ({"name": 5}, "name", "string"),
])
def test_column_types_refuse_what_mysql_cannot_store(data, field, needle):
    with pytest.raises(ValidationError) as caught:
        Row.model_validate(data)
    answer = error_answer(caught.value)
    assert answer.extra["field"] == field and needle in answer.description, answer.description


def test_column_text_strips_before_the_length():
    assert Row.model_validate({"name": "  a  "}).name == "a"


def test_every_operation_documents_its_success_and_errors():
    for path, operations in spec()["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            success = [status for status in answers if status.startswith("2")]
            assert success, (method, path)
            for status in success:
                assert answers[status].get("content"), f"{method} {path} {status} has no schema"
            assert answers["default"] == {"$ref": "#/components/responses/Error"}
            if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
                assert "400" in answers, (method, path)
