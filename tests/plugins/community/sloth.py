"""A synchronous plugin that hangs: the message loop waits at most the time limit."""

import time


class SlothPlugin:
    name = 'SlothPlugin'
    description = 'hangs'
    patterns = ['^hang$']
    run_async = False

    @classmethod
    def main(cls, msg):
        time.sleep(60)
        return 'too late'


def export():
    return SlothPlugin
