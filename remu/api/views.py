"""API tokens: provider administrators and the region's agents create and revoke them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.core.forms import StyledForm
from remu.core.tenancy import require_agent, require_provider
from remu.referential.models import Provider

from .models import ApiToken


class TokenForm(StyledForm):
    name = forms.CharField(label="Nom du jeton (logiciel, usage)", max_length=100)


def _is_provider_admin(request) -> bool:
    return request.user.memberships.filter(provider=request.tenant.provider, is_admin=True).exists()


def _page(request, provider):
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        token, raw = ApiToken.issue(
            provider=provider, name=form.cleaned_data["name"], user=request.user
        )
        messages.success(
            request, f"Jeton « {token.name} » créé : copiez-le maintenant, il ne sera plus affiché."
        )
        form = TokenForm()
    provider.api_tokens.revoke_orphans()
    return render(
        request,
        "api/tokens.html",
        {
            "provider": provider,
            "form": form,
            "raw": raw,
            "tokens": provider.api_tokens.select_related("created_by"),
        },
    )


def provider_tokens(request):
    require_provider(request)
    if not _is_provider_admin(request):
        raise PermissionDenied("Réservé aux administrateurs de l'organisme.")
    return _page(request, request.tenant.provider)


def agent_tokens(request, pk):
    require_agent(request)
    provider = get_object_or_404(Provider.objects.for_tenant(request.tenant), pk=pk)
    return _page(request, provider)


@require_POST
def revoke(request, pk):
    tenant = request.tenant
    token = get_object_or_404(ApiToken.objects.for_tenant(tenant), pk=pk)
    if tenant.is_provider and not _is_provider_admin(request):
        raise PermissionDenied("Réservé aux administrateurs de l'organisme.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(request, f"Le jeton « {token.name} » est révoqué.")
    if tenant.is_agent:
        return redirect("tokens:agent", pk=token.provider_id)
    return redirect("tokens:provider")
