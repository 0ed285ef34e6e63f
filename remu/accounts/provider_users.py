"""Agents' pages for the people who act for a provider: invite, resend the invitation, remove.

They live in accounts (above referential), which owns users and memberships."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from remu.core.tenancy import require_agent
from remu.referential.models import Provider

from .forms import InvitationForm
from .models import ProviderMembership
from .services import invite_provider_user, remove_membership, send_invitation


def provider_invite(request, pk):
    """An agent invites a person to act for a provider; the e-mail carries a link to choose
    a password."""
    require_agent(request)
    provider = get_object_or_404(Provider.objects.for_tenant(request.tenant), pk=pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invite_provider_user(provider=provider, invited_by=request.user, **form.cleaned_data)
        messages.success(request, f"Une invitation a été envoyée à {form.cleaned_data['email']}.")
        return redirect("referential:provider_detail", pk=provider.pk)
    return render(request, "accounts/provider_invite.html", {"provider": provider, "form": form})


def _membership(request, pk) -> ProviderMembership:
    require_agent(request)
    return get_object_or_404(
        ProviderMembership.objects.for_tenant(request.tenant).select_related("user", "provider"),
        pk=pk,
    )


@require_POST
def membership_resend(request, pk):
    membership = _membership(request, pk)
    send_invitation(membership.user, membership.provider, request.user)
    messages.success(request, f"L'invitation a été renvoyée à {membership.user.email}.")
    return redirect("referential:provider_detail", pk=membership.provider_id)


@require_POST
def membership_remove(request, pk):
    membership = _membership(request, pk)
    provider_pk = membership.provider_id
    remove_membership(membership)
    messages.success(request, f"{membership.user.email} n'a plus accès à cet organisme.")
    return redirect("referential:provider_detail", pk=provider_pk)
