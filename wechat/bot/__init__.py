"""The bot: one live WeChat session per account, on any driver (docs/ARCHITECTURE.md).

The listeners and their dispatcher, handlers and wiring run only in a worker; the login state in Redis
(state, lease, fence) and the capabilities are read by the web side too. Importing this package loads
nothing: the web imports only the modules it names.
"""
