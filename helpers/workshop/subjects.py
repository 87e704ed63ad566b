"""A learner's schema subjects in the room's registry, over its Confluent-compatible HTTP API.

The registry keeps learners apart by naming only: a learner's subjects follow their topic prefix
(`ana.books-value` for `ana.books`), and a reset deletes the subjects under that prefix."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT_S = 10


class RegistryUnreachable(Exception):
    """Nothing (or not a registry) answered at the registry's URL."""


def _call(url: str, method: str = "GET", timeout: float = TIMEOUT_S):
    request = urllib.request.Request(url, method=method, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read().decode() or "null")


def list_subjects(registry_url: str, deleted: bool = False, timeout: float = TIMEOUT_S) -> list[str]:
    """The registry's subjects (with `deleted`, the soft-deleted ones too)."""
    try:
        body = _call(f"{registry_url}/subjects" + ("?deleted=true" if deleted else ""), timeout=timeout)
    except (OSError, ValueError) as err:
        raise RegistryUnreachable(f"{registry_url}/subjects: {err}") from None
    if not isinstance(body, list):
        raise RegistryUnreachable(f"{registry_url}/subjects answered {str(body)[:100]!r}, not a list of subjects")
    return body


def delete_subject(registry_url: str, subject: str, timeout: float = TIMEOUT_S) -> None:
    """Delete a subject for good: a soft delete first (the Confluent API requires it before a
    permanent one), then `permanent=true`. A subject already soft-deleted answers 404 to the first."""
    where = f"{registry_url}/subjects/{urllib.parse.quote(subject, safe='')}"
    try:
        _call(where, "DELETE", timeout)
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise
    _call(f"{where}?permanent=true", "DELETE", timeout)


def learner_subjects(registry_url: str, prefixes: tuple[str, ...], timeout: float = TIMEOUT_S) -> list[str]:
    """The subjects under the learner's prefixes, soft-deleted ones included."""
    return sorted(s for s in set(list_subjects(registry_url, deleted=True, timeout=timeout)) if s.startswith(prefixes))
