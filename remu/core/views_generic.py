"""Building blocks for the agents' management pages: scoped, paginated, explicit."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views import generic

from .tenancy import require_agent

PAGE_SIZE = 25


class AgentRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        require_agent(request)
        return super().dispatch(request, *args, **kwargs)


class ScopedQuerysetMixin:
    """Every object lookup goes through the model's `for_tenant` queryset: another
    organisation's object is simply not found (404)."""

    model = None

    def get_queryset(self):
        return self.model.objects.for_tenant(self.request.tenant)


class FormPageMixin:
    """Create and edit pages share one template; the view names its title and way back."""

    template_name = "core/form_page.html"
    page_title = ""
    cancel_url_name = ""
    success_message = "Enregistré."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        context["cancel_url_name"] = self.cancel_url_name
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["tenant"] = self.request.tenant
        return kwargs

    def form_valid(self, form):
        self.object = self.save(form)
        messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())

    def save(self, form):
        return form.save()


class ScopedCreateView(AgentRequiredMixin, FormPageMixin, generic.CreateView):
    pass


class ScopedUpdateView(AgentRequiredMixin, ScopedQuerysetMixin, FormPageMixin, generic.UpdateView):
    pass


class KnownCountPaginator(Paginator):
    """A paginator told its count (a run's summary knows its lines): no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known = count

    @property
    def count(self):
        return self.known


def paginate(request, queryset, per_page=PAGE_SIZE, *, param="page", count=None):
    """A page of results, and the query string without `param` (the page number's name: two
    lists of one page have their own) for the page links. `count`, when the caller knows it,
    spares the COUNT query."""
    if count is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = KnownCountPaginator(queryset, per_page, count=count)
    page = paginator.get_page(request.GET.get(param))
    params = request.GET.copy()
    params.pop(param, None)
    return page, params.urlencode()
