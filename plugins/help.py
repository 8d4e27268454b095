"""`help`: answers "help" / "帮助" with the descriptions of the enabled plugins."""

from __future__ import annotations

from wechat.plugins.api import current_call

HEADER = "我能做这些事："


class HelpPlugin:
    name = "help"
    description = "发送 help 或「帮助」，列出已启用的功能。"
    patterns = [r"^(?:@\S+\s+)*(?:help|帮助)\s*$"]
    exclusive = True
    msg_types = "Text"
    neutral = True  # reads the neutral message on every driver (docs/PLUGINS.md)

    @classmethod
    def main(cls, msg) -> str:
        lines = [HEADER]
        for spec in current_call().enabled:
            description = " ".join(spec.description.split()) or "（无说明）"
            lines.append(f"• {spec.name}: {description}")
        return "\n".join(lines)


def export():
    return HelpPlugin
