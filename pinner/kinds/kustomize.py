"""kustomize's ``images:`` (``kustomization.yaml``, ``kustomization.yml``,
``Kustomization``) -> sites (pure).

Each entry overrides the images whose name matches ``name`` (a match key,
never looked up): the image becomes ``newName`` (else ``name``) with
``newTag``, and with ``digest`` when the entry has one. kustomize's image
transformer (``api/filters/imagetag``) joins ``name + ":" + newTag`` and then
``"@" + digest``, taking ``newTag`` as written; so the digest is written:

- into the entry's ``digest:`` when it has that key (``digest: ""`` to ask
  for it there): kustomize then renders ``name:tag@sha256:...`` (before v5,
  ``name@sha256:...``; the digest decides the image either way);
- otherwise after the tag, ``newTag: "1.25@sha256:..."``: the only bytes
  that change are the digest's, the tag stays for people, and every
  kustomize version renders ``name:1.25@sha256:...``.

An entry without ``newTag`` or ``digest`` changes only the name: the tag is
the resources' own, pinned where they name the image.
"""

from __future__ import annotations

import functools

from ruamel.yaml.nodes import Node, ScalarNode

from pinner.reference import InvalidReferenceError, parse_reference
from pinner.site import Classified, Site, SiteKind, Verdict
from pinner.yaml_scalars import (
    compose_or_fail,
    is_plain,
    lookup,
    members,
    scalar_site,
    scalar_span,
    unread_images,
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every entry of ``images:`` that names a tag or a digest, in file order."""
    roots = compose_or_fail(path, text)
    sites = []
    for root in roots:
        for entry in members(lookup(root, "images")):
            site = _entry_site(path, text, entry)
            if site is not None:
                sites.append(site)
    sites += unread_images(path, text, roots, set(), SiteKind.KUSTOMIZE_IMAGE)
    return sorted(sites, key=lambda site: site.start), []


def _string(node: Node | None) -> ScalarNode | None:
    return node if isinstance(node, ScalarNode) and isinstance(node.value, str) else None


def _entry_site(path: str, text: str, entry: Node) -> Site | None:
    name = _string(lookup(entry, "newName")) or _string(lookup(entry, "name"))
    tag, digest = _string(lookup(entry, "newTag")), _string(lookup(entry, "digest"))
    anchor = tag if tag is not None and tag.value else digest
    if name is None or not name.value or anchor is None:
        anchor = _string(lookup(entry, "name"))
        if anchor is None or not anchor.value:
            return None
        reason = "no newTag or digest: the tag is the resources' own, pinned where they name it"
        return scalar_site(
            path, text, anchor, SiteKind.KUSTOMIZE_IMAGE, lambda *_: _skip(Verdict.IGNORED, reason)
        )
    classify = functools.partial(_classify, text, name, tag, digest)
    site = scalar_site(path, text, anchor, SiteKind.KUSTOMIZE_IMAGE, classify)
    at_digest = digest is not None and site.insert_at == scalar_span(text, digest)[1]
    return site._replace(digest_key=True) if at_digest else site


def _classify(
    text: str,
    name: ScalarNode,
    tag: ScalarNode | None,
    digest: ScalarNode | None,
    value: str,
    start: int,
    end: int,
) -> Classified:
    parts = [node for node in (name, tag, digest) if node is not None and node.value]
    if any(not is_plain(text, node) for node in parts):
        return _skip(Verdict.NOT_PLAIN, "a value of the entry is not written plainly")
    tag_value = str(tag.value) if tag is not None and tag.value else ""
    digest_value = str(digest.value) if digest is not None and digest.value else ""
    written = str(name.value) + (f":{tag_value}" if tag_value else "")
    if digest_value:
        written += f"@{digest_value}"
    try:
        reference = parse_reference(written)
    except InvalidReferenceError as error:
        return Verdict.INVALID, str(error), None, None
    if digest is not None and (digest.value or digest.style in ("'", '"')):
        insert_at = scalar_span(text, digest)[1]
    elif tag is not None:
        insert_at = scalar_span(text, tag)[1]
    else:
        return _skip(Verdict.NOT_PLAIN, 'digest: has no value; write digest: "" to pin it')
    if reference.digest is not None and reference.tag is None:
        return Verdict.DIGEST_ONLY, "pinned to a digest without a tag to follow", reference, None
    verdict = Verdict.PINNED if reference.digest else Verdict.PIN
    return verdict, "", reference, insert_at


def _skip(verdict: Verdict, reason: str) -> Classified:
    return verdict, reason, None, None
