"""Model fields that keep personal data encrypted at rest (`remu.core.crypto`).

`EncryptedCharField` reads and writes plain text in Python and a Fernet token in the database
(a `text` column: the token is longer than the value; `max_length` bounds the plain value in
forms and validation). A blank value stays blank, so `field=""` and the blank/non-blank tests
still work in SQL; any other comparison is refused (a token is random: the database cannot
compare it) — filter on the keyed hash (`LookupHashField`) instead.

`EncryptedBinaryField` does the same for file contents kept in the database (SEPA files).

Reads decrypt row by row as Django loads them (`from_db_value`): for bulk copies that need no
plain text (a dossier's IBAN copied to its payment lines), `raw(name)` selects the token as
it is and `Ciphertext(token)` writes it back unchanged."""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull

from . import crypto


class Ciphertext(str):
    """A token already encrypted (read with `raw`): written as it is, not encrypted again."""


def raw(name: str) -> Cast:
    """An expression selecting an encrypted column's token, undecrypted."""
    return Cast(name, models.TextField())


class _BlankExact(Exact):
    """Only `field=""` (or None): a token is random, equality on it means nothing."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.name} est chiffré : cherchez par son empreinte (hash)."
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):
    description = "Texte chiffré (Fernet)"

    def get_internal_type(self):
        return "TextField"  # the token's length is not the value's

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _BlankExact
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(
            f"{self.name} est chiffré : la recherche « {lookup_name} » est impossible, "
            "cherchez par son empreinte (hash)."
        )

    def get_prep_value(self, value):
        if isinstance(value, Ciphertext):
            return str(value)
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value.encode()).decode("ascii")

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value.encode("ascii")).decode()


class EncryptedBinaryField(models.BinaryField):
    description = "Contenu binaire chiffré (Fernet)"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is not None and not prepared and len(value):
            value = crypto.encrypt(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value, expression, connection):
        if value is None or not len(value):
            return value
        return crypto.decrypt(bytes(value))


class LookupHashField(models.CharField):
    """The keyed hash (HMAC-SHA256) of another field's plain value, computed whenever the row
    is saved or bulk-created (`pre_save`): rows are found and kept unique by it. Writes that
    bypass `pre_save` (`update()`, `bulk_update`) must set it themselves (`crypto.nir_hash`)."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", 64), ("blank", True), ("default", "")):
            if kwargs.get(key) == value:
                del kwargs[key]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.nir_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


# Migrations and the rotation command: the tokens are rewritten in SQL, batch by batch, without
# loading models (a historical model would try to decrypt the plain text it is encrypting).


def _as_bytes(value) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _back(value: bytes, like):
    return value.decode() if isinstance(like, str) else value


def to_token(value):
    """Plain → token; a token stays (re-running a migration is harmless)."""
    data = _as_bytes(value)
    return value if crypto.is_token(data) else _back(crypto.encrypt(data), value)


def to_new_key(value):
    """Token → token under the first key; plain text (if any was left) → token."""
    data = _as_bytes(value)
    return _back(crypto.rotate(data) if crypto.is_token(data) else crypto.encrypt(data), value)


def to_plain(value):
    data = _as_bytes(value)
    return _back(crypto.decrypt(data), value) if crypto.is_token(data) else value


def rewrite_column(
    connection, table, column, transform, *, batch=1000, hash_column=None, pk="id"
) -> int:
    """Applies `transform` to every non-blank value of a column (by primary key `pk`, `batch`
    rows a statement); with `hash_column`, also stores the NIR hash of the (plain) value read.
    Returns the number of rows rewritten."""
    quote = connection.ops.quote_name
    t, c, k = quote(table), quote(column), quote(pk)
    sets = f"{c} = %s" + (f", {quote(hash_column)} = %s" if hash_column else "")
    last, done = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {k}, {c} FROM {t} WHERE {k} > %s AND {c} IS NOT NULL "
                f"ORDER BY {k} LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            last = rows[-1][0]
            updates = []
            for pk, value in rows:
                if value is None or not len(value):
                    continue
                new = transform(value)
                extra = [crypto.nir_hash(value)] if hash_column else []
                updates.append([new, *extra, pk])
            if updates:
                cursor.executemany(f"UPDATE {t} SET {sets} WHERE {k} = %s", updates)
            done += len(updates)


def encrypted_columns(apps_registry):
    """(model, field) of every encrypted column of the project, history tables included."""
    for model in apps_registry.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedCharField | EncryptedBinaryField):
                yield model, field
