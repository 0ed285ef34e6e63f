"""Account operations that write: invitations, memberships, login change."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import ProviderMembership, User


def invitation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:invitation", args=[uid, token])


def send_invitation(user: User, provider, invited_by: User) -> None:
    context = {
        "user": user,
        "provider": provider,
        "invited_by": invited_by,
        "url": invitation_url(user),
        "region": provider.region,
    }
    send_mail(
        subject=f"Remu – votre accès pour {provider.name}",
        message=render_to_string("accounts/emails/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def invite_provider_user(
    *, provider, email, first_name, last_name, is_admin, invited_by
) -> ProviderMembership:
    """Gives a person access to a provider: creates the account if needed, sends the link."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, first_name=first_name, last_name=last_name, role=User.Role.PROVIDER
        )  # no password: the invitation link sets it
    elif not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    membership, _ = ProviderMembership.objects.update_or_create(
        user=user, provider=provider, defaults={"is_admin": is_admin}
    )
    # The mail leaves only if the transaction commits: no invitation to a rolled-back account.
    transaction.on_commit(lambda: send_invitation(user, provider, invited_by))
    return membership


@transaction.atomic
def remove_membership(membership: ProviderMembership) -> None:
    user = membership.user
    membership.delete()
    if not user.memberships.exists():
        user.is_active = False
        user.save(update_fields=["is_active"])


def change_login(user: User, email: str) -> None:
    user.email = email
    user.save(update_fields=["email"])


def mark_password_chosen(user: User) -> None:
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
