"""Render a config as YAML with every field's description as a comment above it.

>>> from appliance.config.join import JoinConfig
>>> print(render(JoinConfig(max_pending=5)).splitlines()[0])
# How long a decision waits for rewards before it is learned (Personalizer's rewardWaitTime).
"""

import json
import textwrap

from pydantic import BaseModel


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # JSON strings are valid YAML


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(text, 100)]


def _render_value(value: object, indent: str) -> list[str]:
    """YAML lines for a value that follows a ``key:`` (block style for mappings and lists)."""
    if isinstance(value, BaseModel):
        return render(value, indent + "  ").splitlines()
    if isinstance(value, dict):
        if not value:
            return []
        return [f"{indent}  {k}: {json.dumps(v) if isinstance(v, dict) else _scalar(v)}" for k, v in value.items()]
    if isinstance(value, list):  # one flow-style (JSON) line per item: JSON is valid YAML
        return [f"{indent}  - {json.dumps(item.model_dump(mode='json', by_alias=True) if isinstance(item, BaseModel) else item)}"
                for item in value]
    return []


def render(model: BaseModel, indent: str = "") -> str:
    lines: list[str] = []
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        value = getattr(model, name)
        lines.extend(_comment(info.description or "", indent))
        if isinstance(value, (BaseModel, dict, list)):
            empty = "{}" if isinstance(value, dict) else "[]"
            body = _render_value(value, indent)
            lines.append(f"{indent}{key}:" if body else f"{indent}{key}: {empty}")
            lines.extend(body)
        else:
            lines.append(f"{indent}{key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"
