"""The error sosverify raises for bad input."""


class SosverifyError(ValueError):
    """Bad input: the message says what was wrong and what is allowed."""


def unknown_name(kind: str, name: str, valid) -> SosverifyError:
    """An error for a name that is not in a registry, listing the valid ones."""
    return SosverifyError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(sorted(valid))}")
