"""WeChat drivers: one seam, one package per protocol.

The rest of the product talks to WeChat only through the seam (``drivers.types`` for plain data,
``drivers.interface`` for the one interface). A driver imports nothing of ours except the seam.

| module | its one reason to change |
|---|---|
| ``types`` | the neutral data: contacts, groups, members, events, capabilities, errors |
| ``interface`` | what a WeChat connection can be asked to do (the ``Driver`` protocol) |
| ``itchat/`` | wxpy/itchat (web and UOS login) with every repair: compat, resilience, puid map, held loop, checkpoint |
| ``padpro/`` | the WeChatPadPro-style gateway (8059-era HTTP + WebSocket API) |
"""
