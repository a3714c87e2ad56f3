"""WES tags and run owners as Cromwell labels, checked against Cromwell's label rules."""

from collections.abc import Mapping

from cromwes.errors import InvalidRequest

Owner = tuple[str, str] | None
"""(label key, user id) that every run of a caller carries when runs are scoped per user."""

MAX_LABEL_LENGTH = 255
"""Cromwell's limit for label keys and values; longer ones make it reject the whole submission."""


def checked_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """`labels` unchanged, or InvalidRequest naming the first label Cromwell would refuse."""
    for key, value in labels.items():
        if not key:
            raise InvalidRequest("tags must not have an empty key.")
        if len(key) > MAX_LABEL_LENGTH:
            raise InvalidRequest(
                f"tag key {key[:40]!r}... is {len(key)} characters long; Cromwell allows "
                f"at most {MAX_LABEL_LENGTH}."
            )
        if len(value) > MAX_LABEL_LENGTH:
            raise InvalidRequest(
                f"tag {key!r} has a value of {len(value)} characters; Cromwell allows at most "
                f"{MAX_LABEL_LENGTH} (workflow_url is stored as a label too)."
            )
    return dict(labels)
