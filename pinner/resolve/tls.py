"""TLS trust, set up once per run and shared by every connection, the way
Docker trusts registries.

- By default the system's certificate store, as the Docker daemon, crane,
  skopeo and pindock trust it. On macOS and Windows that is the OS store,
  reached through ``truststore``; on Linux it is OpenSSL's default paths,
  loaded once (``truststore`` would load them again for every connection).
- ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE``, where set, replaces it; the
  file is read once.
- Per registry, as Docker reads ``/etc/docker/certs.d/<host>[:<port>]/``:
  every ``*.crt`` is a CA trusted for that registry (besides the above), and
  each ``<name>.cert`` with ``<name>.key`` is a client certificate, for
  registries that require mutual TLS.

One ``ssl.SSLContext`` is made per trust setting (the default, and one per
registry folder), never one per connection.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from pinner.resolve.errors import ResolveError

DOCKER_CERTS_DIR = Path("/etc/docker/certs.d")
_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


class TrustError(ResolveError):
    kind = "tls"


class Trust:
    """Hands out the shared context for each registry host."""

    def __init__(
        self,
        certs_dir: Path | None = DOCKER_CERTS_DIR,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._certs_dir = certs_dir
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._contexts: dict[Path | None, ssl.SSLContext | TrustError] = {}
        self.contexts_made = 0

    def context_for(self, host: str) -> ssl.SSLContext:
        """The context for ``host`` (``name`` or ``name:port``, as images name it)."""
        folder = self._folder_of(host)
        with self._lock:
            known = self._contexts.get(folder)
            if known is None:
                try:
                    known = self._make(folder)
                except TrustError as error:
                    known = error
                self._contexts[folder] = known
        if isinstance(known, TrustError):
            raise known
        return known

    def _folder_of(self, host: str) -> Path | None:
        if self._certs_dir is None:
            return None
        folder = self._certs_dir / host
        try:
            has_files = any(name.endswith((".crt", ".cert")) for name in os.listdir(folder))
        except OSError:
            return None
        return folder if has_files else None

    def _make(self, folder: Path | None) -> ssl.SSLContext:
        self.contexts_made += 1
        context = self._base()
        if folder is None:
            return context
        try:
            for authority in sorted(folder.glob("*.crt")):
                context.load_verify_locations(cafile=str(authority))
            for certificate in sorted(folder.glob("*.cert")):
                key = certificate.with_suffix(".key")
                if not key.exists():
                    raise TrustError(f"tls: {certificate} has no {key.name} beside it")
                context.load_cert_chain(str(certificate), str(key))
        except (OSError, ssl.SSLError) as error:
            raise TrustError(f"tls: cannot use the certificates in {folder}: {error}") from None
        return context

    def _base(self) -> ssl.SSLContext:
        bundle = next((self._environ[v] for v in _BUNDLE_VARIABLES if self._environ.get(v)), None)
        if bundle is not None:
            try:
                return ssl.create_default_context(cafile=bundle)
            except (OSError, ssl.SSLError) as error:
                raise TrustError(f"tls: cannot read the CA bundle {bundle}: {error}") from None
        if sys.platform == "darwin" or sys.platform == "win32":
            import truststore

            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return ssl.create_default_context()


_PROBE_LOCK = threading.Lock()
_PROBE: list[ssl.SSLContext] = []


def probe_context() -> ssl.SSLContext:
    """An unverified context that loads no certificates, only to ask whether a
    loopback host speaks TLS at all."""
    with _PROBE_LOCK:
        if not _PROBE:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            _PROBE.append(context)
        return _PROBE[0]
