"""Bot API request parameters and errors, independent of how the request was encoded.

Telegram accepts a query string, ``application/json``, ``x-www-form-urlencoded`` or
``multipart/form-data``. In JSON the values are JSON types; in the form encodings every value
is a string, with objects (reply_markup, options) JSON-encoded inside it. ``Params`` reads a
parameter the same way whichever encoding brought it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """An error response: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed access to one request's parameters; a bad or missing one raises a 400."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None or name in self.files

    def raw(self, name: str) -> Any:
        """The value as received (a string from a form, any JSON type from a JSON body)."""
        return self.values.get(name)

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')
        return value

    def required_string(self, name: str) -> str:
        value = self.string(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", ""):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json(self, name: str) -> Any:
        """An object or array parameter (None if absent), decoded when it came as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value
