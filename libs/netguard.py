"""The one gate for outgoing HTTP requests to a URL an operator or token holder configured (SSRF guard).

A URL someone can type into the dashboard or the API (today: the llm plugin's `base_url`; any plugin that fetches
should use `fetch`) must not reach the service's own machine or network: Redis without a password, the sandbox's
control API, a cloud metadata endpoint that hands out credentials. So:
- `check_url` refuses what is not plain http(s): other schemes, credentials in the URL, control characters
  (CR/LF header injection), spaces and backslashes (parsers disagree on them), zone ids, numeric host forms other
  than dotted decimal (`2130706433`, `0x7f.1`, `017700000001`, `127.1`: resolvers read them as 127.0.0.1);
- then it resolves the name and refuses it when ANY address is loopback, private, link-local, unique-local,
  CGNAT, multicast, unspecified, reserved or otherwise not globally routable, including the IPv4 addresses inside
  IPv6 (`::ffff:127.0.0.1`, 6to4, NAT64) and the metadata addresses (169.254.169.254, fd00:ec2::254);
- and it checks AGAIN when connecting: the connection resolves once, checks, connects to that checked address
  (Host and TLS SNI keep the name) and verifies the peer, so a DNS answer that changes between the check and the
  connection (rebinding) gains nothing. Redirects are never followed; the environment's proxies and .netrc are
  ignored (`trust_env = False`).
An operator lets the service reach internal endpoints (a model served on the LAN, the tests' fake on 127.0.0.1)
with OUTBOUND_ALLOW_HOSTS (host names or literal addresses, comma-separated) and OUTBOUND_ALLOW_NETS (CIDR
networks, comma-separated). Errors say why a URL was refused, never what the target answered.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 2048
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")})  # AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(ValueError):
    """A URL or address the service will not connect to; the message says why (safe to show the operator)."""


@dataclass(frozen=True)
class Policy:
    allow_hosts: frozenset[str] = frozenset()
    allow_nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Policy:
        """From OUTBOUND_ALLOW_HOSTS / OUTBOUND_ALLOW_NETS (comma-separated strings) in a config or environment."""
        hosts = frozenset(h.strip().strip("[]").lower().rstrip(".") for h in _items(settings, "OUTBOUND_ALLOW_HOSTS"))
        nets = []
        for item in _items(settings, "OUTBOUND_ALLOW_NETS"):
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"OUTBOUND_ALLOW_NETS: {item!r} is not a network such as 10.0.0.0/8") from None
        return cls(frozenset(h for h in hosts if h), tuple(nets))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    def allows_address(self, address: IPAddress) -> bool:
        return str(address) in self.allow_hosts or any(address in net for net in self.allow_nets if
                                                         net.version == address.version)


def _items(settings: Mapping[str, Any], key: str) -> list[str]:
    value = settings.get(key) or ""
    items: Iterable[str] = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item and item.strip()]


def current_policy() -> Policy:
    """The running app's policy (config.py reads it from the environment); the environment outside an app."""
    from flask import current_app, has_app_context

    return Policy.from_settings(current_app.config if has_app_context() else os.environ)


# -- addresses ---------------------------------------------------------------------------------------------------
def refusal(address: IPAddress) -> str | None:
    """Why an address is not a public internet address (None when it is one)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if embedded is not None:
            reason = refusal(embedded)
            return f"{reason} (inside an IPv6 address)" if reason else None
    if address in METADATA:
        return "a cloud metadata address"
    for test, reason in (("is_loopback", "a loopback address"), ("is_link_local", "a link-local address"),
                         ("is_multicast", "a multicast address"), ("is_unspecified", "the unspecified address"),
                         ("is_private", "a private-network address"), ("is_reserved", "a reserved address")):
        if getattr(address, test):
            return reason
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT address"
    if not address.is_global:
        return "not a public internet address"
    return None


def check_address(address: IPAddress, policy: Policy, host: str = "") -> None:
    reason = refusal(address)
    if reason and not (policy.allows_address(address) or (host and policy.allows_host(host))):
        raise OutboundRefused(f"{host or address} is {reason}; an operator can allow it with "
                              "OUTBOUND_ALLOW_HOSTS or OUTBOUND_ALLOW_NETS")


def resolve(host: str, port: int, policy: Policy) -> list[tuple[int, tuple]]:
    """Every address `host` resolves to, checked; refused when any of them is refused (all or nothing)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise OutboundRefused(f"{host} does not resolve") from None
    checked = []
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        check_address(address, policy, host)
        checked.append((family, sockaddr))
    if not checked:
        raise OutboundRefused(f"{host} does not resolve to an internet address")
    return checked


# -- URLs --------------------------------------------------------------------------------------------------------
def _literal(host: str) -> IPAddress | None:
    """The address a numeric host means, refusing the spellings only some resolvers read (decimal, octal, hex)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return None
    raise OutboundRefused(f"{host!r} is an ambiguous numeric address; write it as four decimal numbers")


def check_url(url: Any, policy: Policy | None = None, resolve_host: bool = True) -> str:
    """Refuse a URL the service must not fetch; return it unchanged when it is fine. See the module docstring."""
    policy = policy if policy is not None else current_policy()
    if not isinstance(url, str) or not url:
        raise OutboundRefused("the URL must be a non-empty string")
    if len(url) > MAX_URL:
        raise OutboundRefused(f"the URL is longer than {MAX_URL} characters")
    if any(ord(char) < 0x21 or 0x7F <= ord(char) <= 0x9F for char in url) or "\\" in url:
        raise OutboundRefused("the URL contains spaces, control characters (CR/LF...) or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"the URL is malformed ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise OutboundRefused("the URL must start with http:// or https://")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise OutboundRefused("the URL must not contain a user name or password (send keys as settings)")
    host = parts.hostname or ""
    if not host or "%" in host:
        raise OutboundRefused("the URL has no host, or a host with a zone id")
    literal = _literal(host)
    if literal is not None:
        check_address(literal, policy, host)
    elif resolve_host:
        resolve(host, port or (443 if parts.scheme.lower() == "https" else 80), policy)
    return url


# -- connections -------------------------------------------------------------------------------------------------
class RefusedConnection(NewConnectionError):
    """Raised at connect time; `fetch` turns it back into OutboundRefused."""

    def __init__(self, conn, refused: OutboundRefused) -> None:
        super().__init__(conn, str(refused))
        self.refused = refused


class _GuardedConnectionMixin:
    policy: Policy = Policy()

    def _new_conn(self) -> socket.socket:
        """Resolve once, check every address, connect to a checked one, and check the peer we actually reached."""
        try:
            targets = resolve(self._dns_host, self.port, self.policy)
        except OutboundRefused as exc:
            raise RefusedConnection(self, exc) from exc
        last: Exception | None = None
        for family, sockaddr in targets:
            try:
                sock = self._connect_to(family, sockaddr)
            except OSError as exc:
                last = exc
                continue
            try:
                peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
                check_address(peer, self.policy, self._dns_host)
            except OutboundRefused as exc:
                sock.close()
                raise RefusedConnection(self, exc) from exc
            return sock
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})")
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")

    def _connect_to(self, family: int, sockaddr: tuple) -> socket.socket:
        """Connect to the checked socket address itself (no second name lookup that could answer differently)."""
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            if self.timeout is None or isinstance(self.timeout, int | float):
                sock.settimeout(self.timeout)
            if self.source_address:
                sock.bind(self.source_address)
            sock.connect(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock


@lru_cache(maxsize=32)
def _pool_classes(policy: Policy) -> dict[str, type]:
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), {"policy": policy})
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), {"policy": policy})
    return {"http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: Policy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # noqa: ANN001 (requests' signature)
        raise OutboundRefused("outgoing requests do not go through proxies")


def guarded_session(policy: Policy | None = None) -> requests.Session:
    """A requests session whose every connection is checked (each redirect hop too); no proxies, no .netrc.
    Prefer `fetch`, which also checks the URL's shape and follows no redirect."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(policy if policy is not None else current_policy())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch(method: str, url: str, policy: Policy | None = None, session: requests.Session | None = None,
          **kwargs: Any) -> requests.Response:
    """One request to a configured URL, checked before and at connect time; redirects are returned, not followed.

    `session`: a `guarded_session` to reuse for many requests to one service (its connections are kept alive, and
    each was checked when it was made, so the URL's host is not resolved again up front); anything else is refused.
    Raises OutboundRefused (the URL or an address it reached is refused) or requests.RequestException."""
    policy = policy if policy is not None else current_policy()
    check_url(url, policy, resolve_host=session is None)
    if session is not None:
        adapter = session.get_adapter(url)
        if not isinstance(adapter, GuardedAdapter) or adapter.policy != policy:
            raise TypeError("fetch(session=...) takes a netguard.guarded_session of the same policy")
    kwargs["allow_redirects"] = False
    if session is not None:
        return _request(session, method, url, kwargs)
    with guarded_session(policy) as own:
        return _request(own, method, url, kwargs)


def _request(session: requests.Session, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
    try:
        return session.request(method, url, **kwargs)
    except requests.RequestException as exc:
        refused = _refused_in(exc)
        if refused is not None:
            raise refused from None
        raise


def _refused_in(exc: BaseException | None) -> OutboundRefused | None:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, RefusedConnection):
            return exc.refused
        if isinstance(exc, OutboundRefused):
            return exc
        nested = getattr(exc, "reason", None)
        exc = nested if isinstance(nested, BaseException) else (exc.__cause__ or exc.__context__)
        seen += 1
    return None
