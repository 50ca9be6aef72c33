"""Which webhook URLs alerts may be POSTed to.

A rule's webhook makes the alerts service send requests on a user's behalf. Left free, a user
who may create rules could make it reach a cloud metadata endpoint, the service itself on
loopback or any internal host. So a webhook is http(s) with a host, and unless
`webhook_allow_private` (SIGHTLINE_WEBHOOK_ALLOW_PRIVATE) says so, every address its host
resolves to must be global. results-api checks at rule creation (422); the alerts service
checks again before each delivery, since a name can resolve differently later.
"""

from __future__ import annotations

from urllib.parse import urlparse

from sightline_common.internal_hosts import UnresolvableHostError, first_internal_address

WEBHOOK_SCHEMES = frozenset({"http", "https"})


class WebhookNotAllowedError(ValueError):
    """The URL may not receive webhooks; the message says which rule it breaks."""


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Raise WebhookNotAllowedError unless alerts may be POSTed to `url`."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in WEBHOOK_SCHEMES:
        raise WebhookNotAllowedError(f"a webhook URL must be http or https, not {url[:40]!r}")
    host = parsed.hostname
    if not host:
        raise WebhookNotAllowedError("a webhook URL needs a host")
    if allow_private:
        return
    try:
        address = first_internal_address(host)
    except UnresolvableHostError as exc:
        raise WebhookNotAllowedError(str(exc)) from exc
    if address is not None:
        raise WebhookNotAllowedError(
            f"{host} is an internal address ({address}: loopback, private, link-local or "
            "metadata); set SIGHTLINE_WEBHOOK_ALLOW_PRIVATE=true to allow it"
        )
