"""Who may use ``icr serve``: the token, the login cookie and the CSRF check.

Bound to the loopback interface and without ``ICR_SERVE_TOKEN``, anyone on this machine may
review (as any local program may open the database). With a token, every request must carry
it: ``Authorization: Bearer TOKEN`` or the cookie the login page sets. Form posts carry a
CSRF token matching their cookie, and a request a browser sends from another site (its
``Origin`` names another host) changes nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

TOKEN_ENV = "ICR_SERVE_TOKEN"
LOGIN_COOKIE = "icr_token"
CSRF_COOKIE = "icr_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Guard:
    token: str | None
    """None: no token needed (loopback only)."""

    def authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return True
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.token.encode())

    def check_login(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())


def cross_site(request: Request) -> bool:
    """A browser request made by a page of another site (its Origin is not this server)."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (its cookie), or a new one the response must set."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = submitted or request.headers.get(CSRF_HEADER, "")
    return bool(cookie) and bool(given) and hmac.compare_digest(cookie.encode(), given.encode())
