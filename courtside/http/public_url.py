"""Where users reach this server: the start of reset links and OAuth redirect URIs."""

from __future__ import annotations


class PublicUrl:
    """The configured public URL, else the server's own, learnt once it listens.

    Never taken from a request's Host header: anyone can send one, and a reset
    link built on it would carry the victim's token to the sender's host.
    """

    def __init__(self, configured: str | None) -> None:
        self._base = configured.rstrip("/") if configured else None

    def serving_at(self, http_url: str) -> None:
        if self._base is None:
            self._base = http_url.rstrip("/")

    def join(self, path: str) -> str:
        if self._base is None:
            raise RuntimeError("the server's URL is not known before it listens")
        return self._base + path
