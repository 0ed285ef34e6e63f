"""The trainee's access codes (issue 15 §1, seed 002): the login printed on the admission
decision and a one-time password to change at the first login.

The login is not the NIR nor a name: a generated identifier such as ``cvl-7k3m9qxa`` (the
region's number prefix and eight random characters without look-alikes). The account's
`User.email`, which the existing login, password reset, lockout (django-axes) and invitation
machinery all key on, is that identifier with the domain ``TRAINEE_LOGIN_DOMAIN`` (setting):
``cvl-7k3m9qxa@stagiaires.remu.local``. The login form accepts the short identifier and adds
the domain (`remu.accounts.lockout.normalise_login`). The trainee's real address stays on the
trainee's record (`Trainee.email`): invitations and password-reset e-mails go there.

Registered as the admission decision's hook by this app's `AppConfig.ready`
(`remu.dossiers.decisions.access_hooks`): `remu.dossiers` sits below this app and does not
import it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from remu.accounts.models import User
from remu.accounts.services import invitation_url
from remu.dossiers.decisions import Codes

# No 0/O, 1/l/I: read from paper, typed on a phone.
LOGIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def login_of(user: User) -> str:
    """What the trainee types: the short identifier for a generated login, else the address."""
    suffix = "@" + settings.TRAINEE_LOGIN_DOMAIN
    return user.email[: -len(suffix)] if user.email.endswith(suffix) else user.email


def new_password() -> str:
    """Three groups of four characters (about 70 bits), e.g. ``Xk7m-3q9P-Ab2c``."""
    return "-".join(_random(PASSWORD_ALPHABET, 4) for _ in range(3))


def _new_login(prefix: str) -> str:
    for _ in range(20):
        login = f"{prefix.lower()}-{_random(LOGIN_ALPHABET, 8)}"
        if not User.objects.filter(email__iexact=f"{login}@{settings.TRAINEE_LOGIN_DOMAIN}"):
            return login
    raise RuntimeError("no free trainee login")  # 31^8 logins: never in practice


def ensure_user(trainee) -> User:
    """The trainee's login, created on the first issue (role trainee, no usable password)."""
    user = trainee.user
    if user is not None:
        return user
    login = _new_login(trainee.region.number_prefix or "stg")
    user = User.objects.create_user(
        email=f"{login}@{settings.TRAINEE_LOGIN_DOMAIN}",
        first_name=trainee.first_names.split(" ")[0][:150],
        last_name=trainee.last_name[:150],
        role=User.Role.TRAINEE,
    )
    trainee.user = user
    trainee.save(update_fields=["user", "updated_at"])
    return user


def in_use(user: User | None) -> bool:
    """An account whose owner chose their password (and may be using it)."""
    return (
        user is not None
        and user.is_active
        and user.has_usable_password()
        and not user.must_change_password
    )


@transaction.atomic
def issue_codes(dossier, by, *, reissue: bool = False) -> Codes:
    """A new one-time password for the dossier's trainee (the old one stops working, and so do
    earlier invitation links: they are tied to the password), to change at the first login;
    an invitation e-mail when the trainee has an address, sent once the transaction commits.
    A trainee already using their account (admitted earlier on another dossier) keeps their
    password on a new admission; an agent's re-issue always replaces it."""
    trainee = dossier.trainee
    if not reissue and in_use(trainee.user):
        return Codes(login=login_of(trainee.user), password="")
    user = ensure_user(trainee)
    password = new_password()
    user.set_password(password)
    user.must_change_password = True
    user.is_active = True
    user.save(update_fields=["password", "must_change_password", "is_active"])
    if trainee.email:
        transaction.on_commit(lambda: send_invitation(user, trainee, dossier))
    return Codes(login=login_of(user), password=password)


def send_invitation(user: User, trainee, dossier) -> None:
    """A single-use link (Django's password-reset token: it dies once the password changes,
    and after PASSWORD_RESET_TIMEOUT) to choose a password; the codes are not in the mail."""
    region = dossier.region
    context = {
        "trainee": trainee,
        "region": region,
        "login": login_of(user),
        "dossier": dossier,
        "url": invitation_url(user),
        "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600),
    }
    send_mail(
        subject=f"{region.name} – votre accès à votre dossier de rémunération",
        message=render_to_string("trainee_space/emails/access_invitation.txt", context),
        from_email=None,
        recipient_list=[trainee.email],
    )
