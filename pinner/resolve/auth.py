"""Credentials and the registry auth flows (Basic, and Bearer tokens).

Credentials come from the Docker config the way the Docker CLI reads them
(``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``: ``auths``
with the base64 ``auth`` field or an ``identitytoken``, ``credHelpers`` and
``credsStore``), through the Docker SDK's own loader. They go only to the
registry they belong to and to the token realm that registry names, never
over plain HTTP to a non-loopback host, and never into a message.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from typing import NamedTuple, Protocol
from urllib.parse import urlencode, urlsplit

from pinner.resolve.challenge import Challenge
from pinner.resolve.errors import BadResponseError, DeniedError
from pinner.resolve.http import is_loopback_host
from pinner.resolve.transport import Transport

_DEFAULT_TOKEN_SECONDS = 60
_SCOPES_PER_TOKEN = 40  # keeps the token request's URL well under common limits
_DOCKER_HUB_API_HOST = "registry-1.docker.io"


class Credentials(NamedTuple):
    username: str = ""
    password: str = ""
    identity_token: str = ""

    def __repr__(self) -> str:  # never the secrets
        return f"Credentials(username={self.username!r})"

    def basic(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode()


class CredentialSource(Protocol):
    def for_host(self, host: str) -> Credentials | None: ...


class NoCredentials:
    def for_host(self, host: str) -> Credentials | None:
        return None


class DockerConfigCredentials:
    """What ``docker login`` stored, read with the Docker SDK's loader, per host."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: object | None = None
        self._found: dict[str, Credentials | None] = {}

    def for_host(self, host: str) -> Credentials | None:
        with self._lock:
            if host not in self._found:
                self._found[host] = self._look_up(host)
            return self._found[host]

    def _look_up(self, host: str) -> Credentials | None:
        if not _docker_config_exists():
            return None  # nothing for the SDK to read: spare its import (16 ms)
        # Imported here: only a registry that asks for credentials needs the SDK.
        import warnings

        from docker import auth
        from docker.errors import DockerException

        try:
            if self._config is None:
                _warn_if_malformed(auth.config.find_config_file())
                self._config = auth.load_config()
            # Docker Hub's credentials live under https://index.docker.io/v1/.
            registry = "docker.io" if host == _DOCKER_HUB_API_HOST else host
            with warnings.catch_warnings():
                # The SDK warns, with its own file and line, about a missing
                # credential helper, then fails: one line of ours says it all.
                warnings.simplefilter("ignore")
                entry = auth.resolve_authconfig(self._config, registry=registry)
        except DockerException as error:
            helper = re.search(r"docker-credential-[\w.-]+", str(error))
            if helper is not None and "not installed" in str(error):
                warn_once(
                    f"the credential helper {helper.group()} named in the Docker config is"
                    f" not installed; asking {host} without credentials"
                )
            else:
                warn_once(
                    f"cannot read the credentials for {host} ({_first_line(error)});"
                    " asking without them"
                )
            return None
        if not entry:
            return None
        fields = {str(key).lower(): value for key, value in entry.items()}
        credentials = Credentials(
            str(fields.get("username") or ""),
            str(fields.get("password") or ""),
            str(fields.get("identitytoken") or ""),
        )
        if not (credentials.username or credentials.identity_token):
            return None
        return credentials


def _docker_config_exists() -> bool:
    """Whether any file the Docker SDK would read credentials from is there
    (it tries these in turn): ``$DOCKER_CONFIG/config.json``,
    ``~/.docker/config.json``, the legacy ``~/.dockercfg``."""
    home = os.path.expanduser("~")
    paths = [os.path.join(home, ".docker", "config.json"), os.path.join(home, ".dockercfg")]
    if os.environ.get("DOCKER_CONFIG"):
        paths.append(os.path.join(os.environ["DOCKER_CONFIG"], "config.json"))
    return any(os.path.exists(path) for path in paths)


def _needs_credentials(host: str, what: str) -> str:
    return f"denied: {host} requires credentials for {what}{login_hint(host)}"


def login_hint(host: str) -> str:
    """What to run when a registry wants credentials pinner does not have."""
    login = "docker login" if host == _DOCKER_HUB_API_HOST else f"docker login {host}"
    return f" (if you have an account there: {login})"


_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


def warn_once(message: str) -> None:
    """One line on stderr, the first time only: a warning, not an error."""
    import sys

    with _WARNED_LOCK:
        if message in _WARNED:
            return
        _WARNED.add(message)
    print(f"pinner: warning: {message}", file=sys.stderr, flush=True)


def _warn_if_malformed(path: str | None) -> None:
    """The Docker SDK ignores a config.json it cannot parse, silently."""
    import json

    if not path:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            json.load(handle)
    except OSError:
        return
    except ValueError as error:
        warn_once(f"{path} is not valid JSON ({error}); its credentials are not used")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


class _Token(NamedTuple):
    header: str
    expires: float


class Authenticator:
    """Turns a registry's 401 challenge into an Authorization header, caching tokens."""

    def __init__(self, transport: Transport, credentials: CredentialSource) -> None:
        self._transport = transport
        self._credentials = credentials
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._tokens: dict[str, _Token] = {}
        self.token_requests = 0

    def cached(self, host: str, scope: str) -> str | None:
        with self._lock:
            token = self._tokens.get(f"{host} {scope}")
        if token is not None and token.expires > time.monotonic():
            return token.header
        return None

    def forget(self, host: str, scope: str) -> None:
        """Drop a cached token the registry no longer accepts for ``scope``."""
        with self._lock:
            self._tokens.pop(f"{host} {scope}", None)

    def prefetch(
        self, host: str, registry_url: str, scopes: list[str], challenge: Challenge
    ) -> None:
        """Fetch tokens for many scopes at once, so that the first request for each
        repository already carries one (one token request per batch, not per
        repository). Best effort: a scope left out is asked for when it is needed."""
        if challenge.scheme != "bearer" or "realm" not in challenge.params:
            return
        credentials = self._credentials.for_host(host)
        wanted = [scope for scope in scopes if self.cached(host, scope) is None]
        for start in range(0, len(wanted), _SCOPES_PER_TOKEN):
            batch = wanted[start : start + _SCOPES_PER_TOKEN]
            self._issue(host, registry_url, batch, challenge.params, credentials)

    def answer(
        self, host: str, registry_url: str, scope: str, challenge: Challenge | None, what: str
    ) -> str:
        """The Authorization header to retry with, or raise DeniedError."""
        credentials = self._credentials.for_host(host)
        if challenge is not None and challenge.scheme == "basic":
            if credentials is None or not credentials.username:
                raise DeniedError(_needs_credentials(host, what))
            return credentials.basic()
        if challenge is None or challenge.scheme != "bearer" or "realm" not in challenge.params:
            raise DeniedError(_needs_credentials(host, what))
        return self._token(host, registry_url, scope, challenge.params, credentials)

    def _token(
        self,
        host: str,
        registry_url: str,
        scope: str,
        params: dict[str, str],
        credentials: Credentials | None,
    ) -> str:
        key = f"{host} {scope}"
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self.cached(host, scope)
            if cached is not None:
                return cached
            return self._issue(host, registry_url, [scope], params, credentials)

    def _issue(
        self,
        host: str,
        registry_url: str,
        scopes: list[str],
        params: dict[str, str],
        credentials: Credentials | None,
    ) -> str:
        """Ask the realm for one token covering ``scopes``; cache it for each."""
        realm = params["realm"]
        _check_realm(realm, registry_url, host)
        with self._lock:
            self.token_requests += 1
        token = _parse_token(
            self._ask_realm(realm, params.get("service"), scopes, credentials, host), host
        )
        with self._lock:
            for scope in scopes:
                self._tokens[f"{host} {scope}"] = token
        return token.header

    def _ask_realm(
        self,
        realm: str,
        service: str | None,
        scopes: list[str],
        credentials: Credentials | None,
        host: str,
    ) -> object:
        query: dict[str, str | list[str]] = {"scope": scopes}
        if service:
            query["service"] = service
        if credentials is not None and credentials.identity_token:
            form = {
                **query,
                # OAuth2 form posts carry several scopes in one, space-separated.
                "scope": " ".join(scopes),
                "grant_type": "refresh_token",
                "refresh_token": credentials.identity_token,
                "client_id": "pinner",
            }
            response = self._transport.request(
                "POST",
                realm,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=urlencode(form).encode(),
                follow_redirects=False,
            )
        else:
            headers = {"Authorization": credentials.basic()} if credentials else {}
            joiner = "&" if urlsplit(realm).query else ("" if realm.endswith("?") else "?")
            response = self._transport.request(
                "GET",
                realm + joiner + urlencode(query, doseq=True),
                headers=headers,
                follow_redirects=False,
            )
        if response.status_code != 200:
            raise DeniedError(
                f"denied: the token service for {host} answered HTTP {response.status_code}"
                f" for {', '.join(scope.split(':')[1] for scope in scopes)}{login_hint(host)}"
            )
        try:
            return response.json()
        except ValueError:
            raise BadResponseError(
                f"bad response: the token service for {host} sent no JSON"
            ) from None


def _check_realm(realm: str, registry_url: str, host: str) -> None:
    parts = urlsplit(realm)
    if parts.scheme == "https":
        return
    registry = urlsplit(registry_url)
    loopback_http = registry.scheme == "http" and is_loopback_host(registry.netloc)
    if parts.scheme == "http" and loopback_http:
        return
    raise DeniedError(
        f"denied: {host} names a token service over {parts.scheme or 'no scheme'}"
        " (not HTTPS); pinner sends no credentials there"
    )


def _parse_token(answer: object, host: str) -> _Token:
    if not isinstance(answer, dict):
        raise BadResponseError(f"bad response: the token service for {host} sent no token")
    value = answer.get("token") or answer.get("access_token")
    if not isinstance(value, str) or not value:
        raise BadResponseError(f"bad response: the token service for {host} sent no token")
    try:
        lifetime = float(answer.get("expires_in", _DEFAULT_TOKEN_SECONDS))
    except (TypeError, ValueError):
        lifetime = _DEFAULT_TOKEN_SECONDS
    # Renew a little early so that a token never expires in the middle of a request.
    return _Token(f"Bearer {value}", time.monotonic() + max(lifetime - 5, 1))
