"""A plugin shipped as an installed package: `ping` answers `pong`."""


class PingPlugin:
    name = "ping"
    description = "ping → pong"
    patterns = [r"^ping$"]
    msg_types = "Text"

    @classmethod
    def main(cls, msg):
        return "pong"


def export():
    return PingPlugin
