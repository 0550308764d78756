"""Message text as Telegram sees it: HTML parse mode turned into plain text plus entities, and
the length limits checked on the result.

The HTML rules follow https://core.telegram.org/bots/api#html-style: a fixed set of tags,
properly nested; ``&lt; &gt; &amp; &quot;`` and numeric entities. A ``<`` that does not start a
supported tag is an error, as on Telegram, which is what catches an unescaped film title such
as "<3". A bare ``&`` is kept as text (Telegram is lenient there too). Entity offsets are in
UTF-16 code units, as in the real API. MarkdownV2 is not validated; its text is taken as is.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .params import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_ATTRIBUTE_TAGS = {"a", "span", "tg-emoji"}

_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*>"
)
_ATTR_RE = re.compile(
    r"([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?"
)
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(
    source: str, parse_mode: str | None, *, limit: int = MAX_TEXT, what: str = "message text"
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``source``; raises the 400 Telegram would send."""
    entities: list[dict[str, Any]] = []
    if parse_mode is None or parse_mode == "":
        text = source
    elif parse_mode.lower() == "html":
        text, entities = parse_html(source)
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        text = source
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    if not text.strip():
        raise bad_request(f"{what} is empty")
    if len(text) > limit:
        raise bad_request(
            "message is too long" if what == "message text" else f"{what} is too long"
        )
    return text, entities


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: (plain text, entities) or a 400 "can't parse entities"."""
    parts: list[str] = []
    offset = 0  # in UTF-16 units of the plain text so far
    open_tags: list[tuple[str, dict[str, Any], int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                raise _cant_parse(f"unsupported start tag at byte offset {_bytes(source, i)}")
            closing, name, attributes = match[1], match[2].lower(), match[3]
            if closing:
                if not open_tags:
                    raise _cant_parse(
                        f'unexpected end tag "{name}" at byte offset {_bytes(source, i)}'
                    )
                expected, entity, start = open_tags.pop()
                if name != expected:
                    raise _cant_parse(
                        f"unmatched end tag at byte offset {_bytes(source, i)}, "
                        f'expected "</{expected}>", found "</{name}>"'
                    )
                if entity and offset > start:
                    entities.append({**entity, "offset": start, "length": offset - start})
            else:
                entity = _entity_for(name, _attributes(attributes), source, i)
                if name == "code" and open_tags and open_tags[-1][0] == "pre":
                    # <pre><code class="language-x"> is one pre entity with a language.
                    if "language" in entity:
                        open_tags[-1][1]["language"] = entity["language"]
                    entity = {}
                open_tags.append((name, entity, offset))
            i = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(source, i)
            piece = html.unescape(match[0]) if match else "&"
            parts.append(piece)
            offset += utf16_length(piece)
            i = match.end() if match else i + 1
        else:
            end = len(source)
            for stop in ("<", "&"):
                found = source.find(stop, i)
                if found != -1:
                    end = min(end, found)
            piece = source[i:end]
            parts.append(piece)
            offset += utf16_length(piece)
            i = end
    if open_tags:
        raise _cant_parse(f'can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parts), entities


def _entity_for(name: str, attributes: dict[str, str], source: str, index: int) -> dict[str, Any]:
    if name in _SIMPLE_TAGS:
        entity: dict[str, Any] = {"type": _SIMPLE_TAGS[name]}
        if name == "code" and attributes.get("class", "").startswith("language-"):
            entity["language"] = attributes["class"].removeprefix("language-")
        if name == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        return entity
    if name == "a" and attributes.get("href"):
        return {"type": "text_link", "url": attributes["href"]}
    if name == "span" and attributes.get("class") == "tg-spoiler":
        return {"type": "spoiler"}
    if name == "tg-emoji" and attributes.get("emoji-id"):
        return {"type": "custom_emoji", "custom_emoji_id": attributes["emoji-id"]}
    if name in _ATTRIBUTE_TAGS:
        raise _cant_parse(
            f'tag "{name}" must have a valid attribute at byte offset {_bytes(source, index)}'
        )
    raise _cant_parse(f'unsupported start tag "{name}" at byte offset {_bytes(source, index)}')


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text):
        value = next((group for group in match.groups()[1:] if group is not None), "")
        found[match[1].lower()] = html.unescape(value)
    return found


def _bytes(source: str, index: int) -> int:
    return len(source[:index].encode())


def _cant_parse(reason: str) -> Exception:
    return bad_request(f"can't parse entities: {reason}")
