"""Building blocks for the agents' management pages: scoped, paginated, explicit."""

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.shortcuts import redirect
from django.utils.functional import cached_property
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


COUNT_CAP = 1000


class CappedPage(Page):
    def has_next(self):
        if not self.paginator.more:
            return super().has_next()
        return self.paginator.next_exists


class CappedCountPaginator(Paginator):
    """Counts up to `cap` rows only (COUNT over `LIMIT cap + 1`): a big provider's 100,000
    dossiers are not counted on every page. Beyond the cap (`more`), the number of pages is
    unknown: any page may be asked for, and one row more than the page tells whether there is
    a next one."""

    def __init__(self, object_list, per_page, *, cap=None):
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self.next_exists = False

    @cached_property
    def count(self):
        return self.object_list[: self.cap + 1].count()

    @property
    def more(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number):
        if not self.more:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("Numéro de page invalide") from exc
        if number < 1:
            raise EmptyPage("Page inférieure à 1")
        return number

    def page(self, number):
        number = self.validate_number(number)
        if not self.more:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("Cette page ne contient aucun résultat")
        self.next_exists = len(rows) > self.per_page
        return self._get_page(rows[: self.per_page], number, self)

    def get_page(self, number):
        try:
            return super().get_page(number)
        except EmptyPage:  # past the last row, beyond the cap: the last counted page
            return self.page(self.num_pages)

    def _get_page(self, *args, **kwargs):
        return CappedPage(*args, **kwargs)


def paginate(request, queryset, per_page=PAGE_SIZE, *, param="page", count=None, capped=False):
    """A page of results, and the query string without `param` (the page number's name: two
    lists of one page have their own) for the page links. `count`, when the caller knows it,
    spares the COUNT query; `capped` counts up to COUNT_CAP rows only (the template includes
    `includes/pagination_capped.html`)."""
    if capped:
        paginator = CappedCountPaginator(queryset, per_page)
    elif count is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = KnownCountPaginator(queryset, per_page, count=count)
    page = paginator.get_page(request.GET.get(param))
    params = request.GET.copy()
    params.pop(param, None)
    return page, params.urlencode()
