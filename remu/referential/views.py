"""Agents' management of the referential: campaigns and their documents, programmes, providers."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from remu.core.tenancy import require_agent
from remu.core.views_generic import ScopedCreateView, ScopedUpdateView, paginate

from . import forms, selectors
from .models import Campaign, Programme, Provider, Region


def campaign_list(request):
    require_agent(request)
    campaigns = (
        Campaign.objects.for_tenant(request.tenant)
        .annotate(
            action_count=Count("actions", distinct=True),
            document_count=Count("documents", distinct=True),
        )
        .order_by("-start_date", "code")
    )
    page, query = paginate(request, campaigns)
    return render(request, "referential/campaign_list.html", {"page": page, "query": query})


class CampaignCreateView(ScopedCreateView):
    form_class = forms.CampaignForm
    page_title = "Nouvelle campagne"
    cancel_url_name = "referential:campaign_list"
    success_message = "La campagne a été créée."

    def get_success_url(self):
        return reverse("referential:campaign_list")


class CampaignUpdateView(ScopedUpdateView):
    model = Campaign
    form_class = forms.CampaignForm
    page_title = "Modifier la campagne"
    cancel_url_name = "referential:campaign_list"
    success_message = "La campagne a été modifiée."

    def get_success_url(self):
        return reverse("referential:campaign_list")


def campaign_documents(request, pk):
    """The documents of a campaign that providers download from their home page."""
    require_agent(request)
    campaign = get_object_or_404(Campaign.objects.for_tenant(request.tenant), pk=pk)
    form = forms.CampaignDocumentForm()
    if request.method == "POST":
        form = forms.CampaignDocumentForm(request.POST, request.FILES)
        if form.is_valid():
            document = form.save(commit=False)
            document.campaign = campaign
            document.uploaded_by = request.user
            document.save()
            messages.success(request, f"« {document.title} » est publié pour les organismes.")
            return redirect("referential:campaign_documents", pk=campaign.pk)
    return render(
        request,
        "referential/campaign_documents.html",
        {"campaign": campaign, "documents": campaign.documents.all(), "form": form},
    )


@require_POST
def campaign_document_delete(request, pk):
    require_agent(request)
    document = get_object_or_404(selectors.documents_for(request.tenant), pk=pk)
    campaign_pk = document.campaign_id
    document.file.delete(save=False)
    document.delete()
    messages.success(request, "Le document a été retiré.")
    return redirect("referential:campaign_documents", pk=campaign_pk)


def campaign_document_download(request, pk):
    """Agents of the region and its providers may download a campaign's documents."""
    document = get_object_or_404(selectors.documents_for(request.tenant), pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    filename = document.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=filename)


def programme_list(request):
    require_agent(request)
    programmes = (
        Programme.objects.for_tenant(request.tenant)
        .annotate(action_count=Count("actions"))
        .order_by("name")
    )
    page, query = paginate(request, programmes)
    return render(request, "referential/programme_list.html", {"page": page, "query": query})


class ProgrammeCreateView(ScopedCreateView):
    form_class = forms.ProgrammeForm
    page_title = "Nouveau dispositif"
    cancel_url_name = "referential:programme_list"
    success_message = "Le dispositif a été créé."

    def get_success_url(self):
        return reverse("referential:programme_list")


class ProgrammeUpdateView(ScopedUpdateView):
    model = Programme
    form_class = forms.ProgrammeForm
    page_title = "Modifier le dispositif"
    cancel_url_name = "referential:programme_list"
    success_message = "Le dispositif a été modifié."

    def get_success_url(self):
        return reverse("referential:programme_list")


def provider_list(request):
    require_agent(request)
    providers = Provider.objects.for_tenant(request.tenant).select_related(
        "commune", "main_provider"
    )
    q = request.GET.get("q", "").strip()
    if q:
        providers = providers.filter(Q(name__icontains=q) | Q(siret__contains=q.replace(" ", "")))
    providers = providers.annotate(
        action_count=Count("actions", distinct=True),
        user_count=Count("memberships", distinct=True),
    ).order_by("name")
    page, query = paginate(request, providers)
    return render(request, "referential/provider_list.html", {"page": page, "query": query, "q": q})


def provider_detail(request, pk):
    require_agent(request)
    provider = get_object_or_404(
        Provider.objects.for_tenant(request.tenant).select_related("commune", "main_provider"),
        pk=pk,
    )
    memberships = provider.memberships.select_related("user")
    return render(
        request,
        "referential/provider_detail.html",
        {
            "provider": provider,
            "memberships": memberships,
            "subcontractors": provider.subcontractors.all(),
            "actions": provider.actions.select_related("campaign", "programme")[:50],
        },
    )


class ProviderCreateView(ScopedCreateView):
    form_class = forms.ProviderForm
    page_title = "Nouvel organisme de formation"
    cancel_url_name = "referential:provider_list"
    success_message = "L'organisme a été créé."

    def get_success_url(self):
        return reverse("referential:provider_detail", args=[self.object.pk])


class ProviderUpdateView(ScopedUpdateView):
    model = Provider
    form_class = forms.ProviderForm
    page_title = "Modifier l'organisme de formation"
    cancel_url_name = "referential:provider_list"
    success_message = "L'organisme a été modifié."

    def get_success_url(self):
        return reverse("referential:provider_detail", args=[self.object.pk])


@login_not_required
def region_logo(request, code):
    """The region's logo, public (it appears on every page); served as an attachment-safe
    image with a sandbox policy, since the file was uploaded."""
    region = get_object_or_404(Region, code=code)
    if not region.logo:
        raise Http404
    content_type = mimetypes.guess_type(region.logo.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    response = FileResponse(region.logo.open("rb"), content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def region_settings(request):
    """The region's name, logo, assistance contacts, attendance due day and SEPA account."""
    require_agent(request)
    if not request.user.is_rules_admin:
        raise PermissionDenied("Réservé aux administrateurs des règles de la Région.")
    region = request.tenant.region
    form = forms.RegionSettingsForm(request.POST or None, request.FILES or None, instance=region)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Les paramètres de la Région sont enregistrés.")
        return redirect("referential:region_settings")
    return render(request, "referential/region_settings.html", {"form": form})
