"""A plugin that raises: reported, and nothing else stops."""


class BoomPlugin:
    name = 'BoomPlugin'
    description = 'boom'
    patterns = ['^boom$']

    @classmethod
    def main(cls, msg):
        raise RuntimeError('kaboom')


def export():
    return BoomPlugin
