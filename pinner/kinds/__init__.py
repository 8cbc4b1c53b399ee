"""The kinds of file pinner reads: one row each, and the answer to "which
files does pinner read, and how".

A row names the kind (as reports and the scan cache know it), the paths it
takes (a regular expression for the end of a ``/``-separated path, from a
``/`` or the path's start),
where names are not enough a cheap test on the text, and the module in this
package, with its scan function, that turns a file's text into sites and the
other files it names. The module is imported only when a file of its kind is
read: the offline check loads none but those it needs.

The rows are tried in order; the first whose paths match is the kind. Adding
a kind is one module, its tests and one row.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pinner.site import Site

# What scanning one file gives: its sites, and the files it includes (as
# written, with the line naming each).
Scan = tuple[list["Site"], list[tuple[str, int]]]


class FileKind(NamedTuple):
    value: str  # the kind's name
    module: str  # pinner.kinds.<module>
    paths: str  # a regular expression for a path's end, from a "/" or its start
    # False: certainly not this kind. A kind with one is known by its text as
    # much as by its name: a file of its name that is not text is not one.
    text_test: Callable[[str], bool] | None = None
    scanner: str = "scan"  # the module's function: (path, text[, context]) -> Scan | None
    includes_from_root: bool = False  # files it includes are named from the root, not itself
    beside: str = ""  # found by discovery only with this file in the same folder
    context: str = ""  # a file in the same folder whose text the scanner reads too
    contexts: str = ""  # the module's function: (path, text) -> the named build contexts it gives
    contexts_hint: str = ""  # text without it gives none (the function is not called)
    cached: bool = True  # False: its scan reads other files too, so is never kept

    def scan(self, path: str, text: str, context: str | None = None) -> Scan | None:
        """The sites of a file of this kind; None for a file that turns out not
        to be one (a YAML file that is no manifest). ``context`` is the text of
        the row's ``context`` file, where it has one."""
        if self.text_test is not None and not self.text_test(text):
            return None
        module = importlib.import_module(f"pinner.kinds.{self.module}")
        scanner = getattr(module, self.scanner)
        scanned: Scan | None = scanner(path, text, context) if self.context else scanner(path, text)
        return scanned


def _name(*globs: str) -> str:
    """Globs on a file's name as one expression: ``*`` stays within the name."""
    parts = []
    for glob in globs:
        pattern = "".join(
            "[^/]*" if c == "*" else "[^/]" if c == "?" else c if c in "[]" else re.escape(c)
            for c in glob
        )
        parts.append(pattern)
    return "|".join(parts)


_SERVICES_KEY = re.compile(r"^services\s*:", re.MULTILINE)


def may_be_compose(text: str) -> bool:
    """A quick test, before any YAML is parsed: a compose file has ``services:``
    at the start of a line. False means it certainly is not one."""
    return _SERVICES_KEY.search(text) is not None


def may_be_manifest(text: str) -> bool:
    """Worth parsing as Kubernetes: only text that holds both ``apiVersion`` and ``image``."""
    return "apiVersion" in text and "image" in text


GHA_WORKFLOW = FileKind("github-workflow", "github_actions", r"\.github/workflows/[^/]+\.ya?ml")
GHA_ACTION = FileKind(
    "github-action", "github_actions", _name("action.yml", "action.yaml"), scanner="scan_metadata"
)
GITLAB_CI = FileKind(
    "gitlab-ci", "gitlab_ci", _name(".gitlab-ci.yml", ".gitlab-ci.yaml"), includes_from_root=True
)
COMPOSE = FileKind(
    "compose",
    "compose",
    paths=_name(
        "compose.yml",
        "compose.yaml",
        "compose.*.yml",
        "compose.*.yaml",
        "*.compose.yml",
        "*.compose.yaml",
        "docker-compose*.yml",
        "docker-compose*.yaml",
    ),
    contexts="named_contexts",
    contexts_hint="additional_contexts",
)
DOCKERFILE = FileKind(
    "dockerfile",
    "dockerfile",
    _name(
        "Dockerfile",
        "dockerfile",  # the Docker CLI falls back to it
        "Containerfile",
        "Dockerfile[-._]*",
        "Containerfile[-._]*",
        "*.Dockerfile",
        "*.dockerfile",
        "*.Containerfile",
        "*.containerfile",
    ),
)
DEVCONTAINER = FileKind(
    "devcontainer",
    "devcontainer",
    r"\.devcontainer/(?:[^/]+/)?devcontainer\.json|\.devcontainer\.json",
)
CIRCLECI = FileKind("circleci", "circleci", r"\.circleci/config\.ya?ml")
BITBUCKET = FileKind("bitbucket", "bitbucket", r"bitbucket-pipelines\.ya?ml")
DRONE = FileKind("drone", "drone", r"\.drone\.ya?ml")
WOODPECKER = FileKind(
    "woodpecker",
    "drone",
    r"\.woodpecker\.ya?ml|\.woodpecker/[^/]+\.ya?ml",
    scanner="scan_woodpecker",
)
AZURE_PIPELINES = FileKind("azure-pipelines", "azure_pipelines", r"azure-pipelines\.ya?ml")
CLOUDBUILD = FileKind("cloudbuild", "cloudbuild", r"cloudbuild\.ya?ml")
_QUADLET_SECTION = re.compile(r"^[\ufeff \t]*\[(?:Container|Image|Volume)\]", re.MULTILINE)
# *.image and *.volume name other files too (disk images): a unit says so in its text.
QUADLET = FileKind(
    "quadlet",
    "quadlet",
    r"[^/]+\.(?:container|image|volume)",
    text_test=lambda text: _QUADLET_SECTION.search(text) is not None,
)
HELM_VALUES = FileKind(
    "helm-values",
    "helm_values",
    r"values(?:-[^/]*)?\.ya?ml",
    beside="Chart.yaml",
    context="Chart.yaml",  # its appVersion is the tag of an image whose tag is empty
)
BAKE = FileKind(
    "bake",
    "bake",
    _name(
        "docker-bake.hcl",
        "docker-bake.json",
        "docker-bake.override.hcl",
        "docker-bake.override.json",
    ),
    contexts="named_contexts",
    contexts_hint="contexts",
    cached=False,  # its args are images only as its targets' Dockerfiles say
)
KUSTOMIZE = FileKind(
    "kustomize", "kustomize", _name("kustomization.yaml", "kustomization.yml", "Kustomization")
)
# Any other YAML file: a manifest if its text says so. Last: every row above wins.
KUBERNETES = FileKind("kubernetes", "kubernetes", r"[^/]*\.ya?ml", text_test=may_be_manifest)

KINDS = (
    GHA_WORKFLOW,
    GHA_ACTION,
    GITLAB_CI,
    DEVCONTAINER,
    CIRCLECI,
    BITBUCKET,
    DRONE,
    WOODPECKER,
    AZURE_PIPELINES,
    CLOUDBUILD,
    HELM_VALUES,
    KUSTOMIZE,
    BAKE,
    COMPOSE,
    DOCKERFILE,
    QUADLET,
    KUBERNETES,
)
BY_NAME = {kind.value: kind for kind in KINDS}

# Editors' and patch tools' leftovers are never read, whatever their stem;
# nor are tools' own YAML files.
_NEVER = re.compile(
    r"(?:\.bak|\.orig|\.rej|\.swp|~)\Z"
    r"|(?:^|/)(?:\.pinner\.yaml|\.pre-commit-config\.yaml|\.pre-commit-hooks\.yaml"
    r"|\.yamllint\.yaml)\Z"
)
# One expression for every row, tried in order: a path is matched once.
_ANY_KIND = re.compile(
    "|".join(f"(?P<k{n}>(?:.*/)?(?:{kind.paths}))" for n, kind in enumerate(KINDS)), re.DOTALL
)


def kind_of(path: str) -> FileKind | None:
    """The kind of file a path (with ``/``) names, or None."""
    if _NEVER.search(path):
        return None
    found = _ANY_KIND.fullmatch(path)
    if found is None or found.lastgroup is None:
        return None
    return KINDS[int(found.lastgroup[1:])]


def guess(path: str, text: str) -> FileKind:
    """The kind of a file named on the command line whose path says nothing
    surer: a YAML mapping with ``services`` is a compose file, other YAML a
    manifest if its text says so; anything else a Dockerfile."""
    if may_be_compose(text):
        from pinner.kinds.compose import looks_like_compose

        if looks_like_compose(text):
            return COMPOSE
    if path.endswith((".yaml", ".yml")):
        return KUBERNETES
    return DOCKERFILE


def name_says_compose(name: str) -> bool:
    lowered = name.lower()
    return "compose" in lowered and lowered.endswith((".yml", ".yaml"))
