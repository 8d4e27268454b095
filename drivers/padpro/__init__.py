"""The gateway driver: a WeChatPadPro-style service (8059-era HTTP + WebSocket API) behind the seam.

| module | its one reason to change |
|---|---|
| ``client`` | HTTP calls: the one base URL, ``?key=``, timeouts, no redirects, error codes → seam errors |
| ``ws`` | a small WebSocket client (wsproto) with connect/read timeouts and a message size cap |
| ``shapes`` | every recorded response shape → plain values (the gateway's forks disagree; we accept all) |
| ``xmlsafe`` | parsing user-controlled XML with a size cap and no DTD (so no entity expansion) |
| ``events`` | one gateway message → the seam's neutral events |
| ``media`` | received media: the ``media_ref`` a message carries, downloads within a byte cap |
| ``inbox`` | how events arrive: WebSocket, back-off, logout detection, HTTP safety net, dedupe |
| ``driver`` | ``PadProDriver``: the ``drivers.interface.Driver`` over the above |

Sources for every endpoint and shape: docs/SANDBOX.md ("Gateway face").
"""

from drivers.padpro.client import GatewayClient, normalize_base_url
from drivers.padpro.driver import PadProDriver

__all__ = ["GatewayClient", "PadProDriver", "normalize_base_url"]
