"""Masking of personal data for readers who may not see it (inspectors, the public topic)."""

from __future__ import annotations

from typing import Any

HIDDEN = "***"
# Fields of a subject (or guardian) that are hidden outright; the name keeps its initial.
HIDDEN_FIELDS = ("id_number", "phone", "address", "birth_date")


def mask_name(name: Any) -> Any:
    """A name reduced to its surname's initial (张三 → 张*, Li Lei → L*)."""
    if not isinstance(name, str) or not name:
        return name
    return name[0] + "*"


def mask_person(person: Any) -> Any:
    """A subject or guardian with its name reduced and its identifiers hidden."""
    if not isinstance(person, dict):
        return person
    masked: dict[str, Any] = {}
    for key, value in person.items():
        if key == "name":
            masked[key] = mask_name(value)
        elif key == "guardian":
            masked[key] = mask_person(value)
        elif key in HIDDEN_FIELDS and value is not None:
            masked[key] = HIDDEN
        else:
            masked[key] = value
    return masked


def mask_value(value: Any) -> Any:
    """A personal field masked: a person reduced, free text or a list of names hidden."""
    if value is None or isinstance(value, dict):
        return mask_person(value)
    return HIDDEN


def mask_fields(data: dict[str, Any], personal: tuple[str, ...]) -> dict[str, Any]:
    """`data` with each personal field masked."""
    return {k: (mask_value(v) if k in personal else v) for k, v in data.items()}
