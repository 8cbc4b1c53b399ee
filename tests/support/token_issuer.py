"""A small Bearer token issuer for the real registry's ``auth: token`` mode.

It serves ``GET /token?service=...&scope=...`` over TLS and answers with a
JWT signed by a key whose certificate chains to a test CA, which the registry
is told to trust (``rootcertbundle``). Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.loopback import QuietHandler, loopback_server

SERVICE = "pinner-test-registry"
ISSUER = "pinner-test-issuer"


@dataclass
class LoopbackPKI:
    """A CA, a server certificate for loopback, and a token-signing certificate."""

    folder: Path
    ca: trustme.CA = field(default_factory=lambda: trustme.CA(key_type=trustme.KeyType.RSA))
    names: tuple[str, ...] = ()  # more host names for the server certificate

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ca_pem = self.folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        server = self.ca.issue_cert(
            "127.0.0.1", "localhost", *self.names, key_type=trustme.KeyType.RSA
        )
        self.server_cert = self.folder / "server.pem"
        self.server_key = self.folder / "server-key.pem"
        server.cert_chain_pems[0].write_to_path(str(self.server_cert))
        server.private_key_pem.write_to_path(str(self.server_key))
        self.server = server
        signer = self.ca.issue_cert("token-signer.invalid", key_type=trustme.KeyType.RSA)
        certificate = x509.load_pem_x509_certificate(signer.cert_chain_pems[0].bytes())
        self.signer_der = certificate.public_bytes(serialization.Encoding.DER)
        key = serialization.load_pem_private_key(signer.private_key_pem.bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self.signer_key = key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(pki: LoopbackPKI, scopes: list[str], lifetime: int) -> str:
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(pki.signer_der).decode()]}
    now = int(time.time())
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    claims = {
        "iss": ISSUER,
        "sub": "",
        "aud": SERVICE,
        "exp": now + lifetime,
        "nbf": now - 10,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = pki.signer_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


@dataclass
class TokenIssuer:
    url: str
    requests: list[dict[str, list[str]]]


@contextmanager
def token_issuer(
    pki: LoopbackPKI,
    lifetime: int = 300,
    users: dict[str, str] | None = None,
    identity_tokens: frozenset[str] = frozenset(),
    tls: bool = True,
) -> Iterator[TokenIssuer]:
    """With ``users``, only those (Basic auth) and ``identity_tokens`` (the
    refresh-token grant, by POST) get a token; anonymous requests get 401."""
    recorded: list[dict[str, list[str]]] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            self._issue(urlsplit(self.path).path, form, form.get("refresh_token", [""])[0])

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._issue(parts.path, parse_qs(parts.query), "")

        def _issue(self, path: str, query: dict[str, list[str]], refresh: str) -> None:
            who = self._who(refresh)
            recorded.append({**query, "_who": [who]})
            if path != "/token" or query.get("service") != [SERVICE]:
                self.send_error(400)
                return
            if (users is not None and who == "anonymous") or who == "refused":
                self.send_error(401)
                return
            body = json.dumps(
                {"token": sign_token(pki, query.get("scope", []), lifetime), "expires_in": lifetime}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _who(self, refresh: str) -> str:
            if refresh:
                return "identity-token" if refresh in identity_tokens else "refused"
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return "anonymous"
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if users is not None and users.get(user) == password:
                return f"user:{user}"
            return "refused"

    with loopback_server(Handler, (pki.server_cert, pki.server_key) if tls else None) as host:
        scheme = "https" if tls else "http"
        yield TokenIssuer(f"{scheme}://{host}/token", recorded)


def token_auth_config(issuer: TokenIssuer, pki: LoopbackPKI, realm: str = "") -> str:
    """``realm`` names the token service another way than ``issuer.url`` (by host name)."""
    return (
        "auth:\n"
        "  token:\n"
        f"    realm: {realm or issuer.url}\n"
        f"    service: {SERVICE}\n"
        f"    issuer: {ISSUER}\n"
        f"    rootcertbundle: {pki.ca_pem}\n"
    )
