"""Dockerfiles (and Containerfiles): ``FROM``, ``COPY --from``, ``RUN --mount
from=``, ARG defaults and the ``# syntax=`` directive -> sites (pure).

``scanner`` classifies what the lexer (``lexer``) finds, word by word as
BuildKit reads it (``words``); ``args`` decides when a global ARG's default
may carry the digest.
"""

from pinner.kinds.dockerfile.scanner import (
    Stage,
    build_stages,
    image_arguments,
    scan,
    scan_dockerfile,
)

__all__ = ["Stage", "build_stages", "image_arguments", "scan", "scan_dockerfile"]
