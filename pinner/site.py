"""Sites: the places in a file where an image is named, and what to do there."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import NamedTuple

from pinner.reference import ImageReference, InvalidReferenceError, parse_reference


class SiteKind(str, enum.Enum):
    FROM = "from"
    COPY_FROM = "copy-from"
    MOUNT_FROM = "mount-from"
    ARG_DEFAULT = "arg-default"
    COMPOSE_IMAGE = "compose-image"
    SYNTAX = "syntax"  # the BuildKit frontend a Dockerfile's # syntax= directive names
    GHA_CONTAINER = "gha-container"  # jobs.<id>.container of a GitHub Actions workflow
    GHA_SERVICE = "gha-service"  # jobs.<id>.services.<id>.image
    GHA_DOCKER_USES = "gha-docker-uses"  # uses: docker://... and an action's runs.image
    K8S_IMAGE = "k8s-image"  # a container's image in a Kubernetes manifest
    GITLAB_IMAGE = "gitlab-image"  # image: of a GitLab CI job or default
    GITLAB_SERVICE = "gitlab-service"  # services: of a GitLab CI job or default
    DEVCONTAINER_IMAGE = "devcontainer-image"  # "image" of a devcontainer.json
    CIRCLECI_IMAGE = "circleci-image"  # docker: - image: of a CircleCI job or executor
    BITBUCKET_IMAGE = "bitbucket-image"  # image: of Bitbucket Pipelines, a step, a service
    DRONE_IMAGE = "drone-image"  # image: of a Drone step or service
    WOODPECKER_IMAGE = "woodpecker-image"  # image: of a Woodpecker step or service
    AZURE_CONTAINER = "azure-container"  # container: and resources.containers of Azure Pipelines
    CLOUDBUILD_STEP = "cloudbuild-step"  # name: of a Cloud Build step, the image it runs
    TEKTON_STEP = "tekton-step"  # image: in a Tekton resource (steps, sidecars, stepTemplate)
    ARGO_IMAGE = "argo-image"  # image: in an Argo Workflows resource
    QUADLET_IMAGE = "quadlet-image"  # Image= of a Podman quadlet unit
    HELM_IMAGE = "helm-image"  # an image in a Helm chart's values
    KUSTOMIZE_IMAGE = "kustomize-image"  # an entry of a kustomization's images:
    BAKE_CONTEXT = "bake-context"  # a docker-image:// context of a docker bake target
    BAKE_ARG = "bake-arg"  # a bake target's args value (or variable default) that makes an image
    COMPOSE_CONTEXT = "compose-context"  # a docker-image:// additional context of a compose build


IGNORE_COMMENT = re.compile(r"#\s*pinner:\s*ignore\b")
_IGNORE_AFTER = {"#": IGNORE_COMMENT, "//": re.compile(r"//\s*pinner:\s*ignore\b")}


class Verdict(str, enum.Enum):
    PIN = "pin"  # a tagged or untagged reference without a digest
    PINNED = "pinned"  # already carries a tag and a digest
    STAGE = "stage"  # names an earlier build stage
    SCRATCH = "scratch"  # the empty base image
    VARIABLE = "variable"  # goes through a variable pinner cannot follow
    DIGEST_ONLY = "digest-only"  # a digest without a tag: nothing to track
    IGNORED = "ignored"  # the user asked pinner to leave it alone
    HEREDOC = "heredoc"  # shell text in a heredoc body, not an instruction
    NOT_PLAIN = "not-plain"  # a block scalar, spread over lines, escaped, or a split digest
    NOT_READ = "not-read"  # may name an image, where pinner has no rule: shown with -v
    NAMED_CONTEXT = "named-context"  # a build context a bake target or compose build names
    INVALID = "invalid"  # not a reference Docker would accept


# What pinner had to skip although it may name an image: findings with --strict.
STRICT_VERDICTS = frozenset({Verdict.VARIABLE, Verdict.NOT_PLAIN, Verdict.NOT_READ})


class Site(NamedTuple):
    """One image reference in one file.

    ``start`` and ``end`` are character offsets of the reference text in the
    file's decoded text; ``line`` and ``column`` are 1-based, for people.
    """

    path: str
    line: int
    column: int
    start: int
    end: int
    kind: SiteKind
    text: str
    verdict: Verdict
    reference: ImageReference | None = None
    reason: str = ""
    insert_at: int | None = None  # where the digest goes, when not right after the text
    platform: str = ""  # the literal --platform of the FROM, if any
    stage: str = ""  # for a stage's name or index (verdict ``stage``): that stage, lower case
    digest_key: bool = False  # the digest is a value of its own (digest: ""), not @sha256:...

    @property
    def digest_offset(self) -> int:
        """The offset in the text at which ``@sha256:...`` is inserted."""
        return self.end if self.insert_at is None else self.insert_at

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def classify_literal(text: str) -> tuple[Verdict, str, ImageReference | None]:
    """The verdict for a reference written without variables, and why."""
    try:
        reference = parse_reference(text)
    except InvalidReferenceError as error:
        return Verdict.INVALID, str(error), None
    if reference.digest is not None and reference.tag is None:
        return Verdict.DIGEST_ONLY, "pinned to a digest without a tag to follow", reference
    if reference.digest is not None:
        return Verdict.PINNED, "", reference
    return Verdict.PIN, "", reference


def marked_ignore(text: str, start: int, end: int, comment: str = "#") -> bool:
    """``# pinner: ignore`` (or with ``comment``, ``// pinner: ignore``) after
    the value on its line, or alone on the line above."""
    pattern = _IGNORE_AFTER[comment]
    line_end = text.find("\n", end)
    rest = text[end : len(text) if line_end == -1 else line_end]
    if comment in rest and pattern.search(rest[rest.index(comment) :]):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if line_start == 0:
        return False
    above = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
    return above.lstrip().startswith(comment) and pattern.search(above) is not None


# What a file kind's classifier says of a value: its verdict, why, the
# reference, and where the digest goes (None: right after the value).
Classified = tuple[Verdict, str, "ImageReference | None", "int | None"]
# (value, start, end) -> what it is
Classifier = Callable[[str, int, int], Classified]


def literal_unless(markers: tuple[str, ...], reason: str) -> Classifier:
    """A classifier for files whose values are literal images unless they hold
    one of ``markers`` (a template or variable filled in later): those are
    left alone with ``reason``."""

    def classify(value: str, start: int, end: int) -> Classified:
        if any(marker in value for marker in markers):
            return Verdict.VARIABLE, reason, None, None
        verdict, why, reference = classify_literal(value)
        return verdict, why, reference, None

    return classify


def site_at(
    path: str,
    text: str,
    start: int,
    end: int,
    kind: SiteKind,
    classified: Classified,
    comment: str = "#",
) -> Site:
    """The site of the value ``text[start:end]``, for kinds that know their
    offsets in the text itself (JSON, INI); ``comment`` starts a comment there."""
    verdict, reason, reference, insert_at = classified
    if marked_ignore(text, start, end, comment):
        verdict, reason, insert_at = Verdict.IGNORED, f"marked '{comment} pinner: ignore'", None
    line_start = text.rfind("\n", 0, start) + 1
    bom = 1 if line_start == 0 and text.startswith("\ufeff") else 0
    return Site(
        path=path,
        line=text.count("\n", 0, start) + 1,
        column=start - line_start + 1 - bom,
        start=start,
        end=end,
        kind=kind,
        text=text[start:end],
        verdict=verdict,
        reference=reference,
        reason=reason,
        insert_at=insert_at,
    )
