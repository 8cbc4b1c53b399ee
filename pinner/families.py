"""What kind of base image a reference names: its family and its C library (pure).

The rules, first match wins (docs/families.md has the table):

1. ``scratch``: family ``scratch``, libc ``none``.
2. ``gcr.io/distroless/...`` and Chainguard's ``cgr.dev/chainguard/static``:
   ``distroless``; libc ``none`` for the ``static`` images, else ``glibc``.
3. a tag with ``alpine`` in it, or the ``alpine`` image itself: ``alpine``,
   ``musl``.
4. a tag with ``slim`` in it: ``slim``, ``glibc``.
5. an official Docker Hub language image (python, node, ruby, golang, ...;
   also through a mirror, ``<host>/library/<name>``) with any other Linux
   tag: ``full``, ``glibc``.
6. ``busybox``: family ``unknown``; libc from the tag (``musl``, ``glibc``,
   ``uclibc`` is ``unknown``).
7. an image whose config says ``os: windows``: ``unknown``, ``unknown``.
8. anything else: ``unknown``, ``unknown`` (a wrong family is worse than none).
"""

from __future__ import annotations

from dataclasses import dataclass

from pinner.reference import ImageReference

# Official images whose plain tags are the full Debian-based build images.
FULL_IMAGES = frozenset(
    {
        "python",
        "node",
        "ruby",
        "golang",
        "openjdk",
        "eclipse-temurin",
        "php",
        "perl",
        "rust",
        "gcc",
        "buildpack-deps",
        "elixir",
        "erlang",
        "haskell",
        "julia",
        "r-base",
        "swift",
        "maven",
        "gradle",
    }
)
_WINDOWS_TAGS = ("windowsservercore", "nanoserver", "ltsc")


@dataclass(frozen=True)
class Kind:
    family: str  # scratch, distroless, alpine, slim, full, unknown
    libc: str  # none, musl, glibc, unknown


def image_kind(reference: ImageReference | None, config_os: str | None = None) -> Kind:
    """The family and libc of ``reference`` (None: ``scratch``)."""
    if reference is None:
        return Kind("scratch", "none")
    repository = reference.repository
    tag = (reference.tag or "latest").lower()
    if repository.startswith(("gcr.io/distroless/", "cgr.dev/chainguard/static")):
        static = "/static" in repository or repository.endswith("chainguard/static")
        return Kind("distroless", "none" if static else "glibc")
    if config_os == "windows" or any(word in tag for word in _WINDOWS_TAGS):
        return Kind("unknown", "unknown")
    # Docker Hub's official images, also through a mirror (mirror.gcr.io/library/...).
    official = repository.startswith("docker.io/library/") or reference.path.startswith("library/")
    name = repository.rsplit("/", 1)[-1]
    if "alpine" in tag or (official and name == "alpine"):
        return Kind("alpine", "musl")
    if "slim" in tag:
        return Kind("slim", "glibc")
    if official and name == "busybox":
        libc = "musl" if "musl" in tag else "glibc" if "glibc" in tag else "unknown"
        return Kind("unknown", libc)
    if official and name in FULL_IMAGES:
        return Kind("full", "glibc")
    return Kind("unknown", "unknown")
