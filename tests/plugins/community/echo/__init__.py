"""A plugin written like the reference implementation's community plugins (wechat-plugins): a class with class
attributes and a `main` class method, exported by `export()`, using the real wxpy message."""

from wxpy.api.consts import TEXT

from .reply import format_reply

description = """
回声：发送 echo 加文字
"""


class EchoPlugin:
    name = 'EchoPlugin'
    version = '0.1'
    msg_types = TEXT
    except_self = True
    run_async = True
    patterns = '^echo '  # one regex, not a list: must not be split into characters
    exclusive = False
    description = description
    exclude_patterns = ['secret']

    @classmethod
    def main(cls, msg):
        return format_reply(msg)


def export():
    return EchoPlugin
