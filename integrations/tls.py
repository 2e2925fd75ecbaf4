"""One TLS client context for every outbound HTTPS client of the process."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_context() -> ssl.SSLContext:
    """httpx's default verification (the CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR), built
    once: loading the bundle costs ~50 ms per client otherwise, and a context is safe to
    share once built because nobody changes it afterwards."""
    return httpx.create_ssl_context()
