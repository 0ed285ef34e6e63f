"""Stored files that go with rows a transaction deletes or erases."""

from django.db import transaction


def delete_on_commit(storage, names) -> None:
    """Deletes the stored files `names` once the current transaction commits: rolled back,
    their rows still refer to them; committed, nothing does any more."""
    names = [name for name in names if name]

    def delete():
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)
