"""Lists that stay fast for a big provider (issue 18 §3): the dossier list counts no further
than it needs, finds an action by its typed number (no dropdown of thousands of actions) and a
run's page reads its pending lines from its summary until the first SEPA export."""

import datetime as dt

import pytest
from django.urls import reverse

from remu.core import views_generic
from remu.core.views_generic import CappedCountPaginator
from remu.dossiers.models import Dossier

from . import factories as f
from .utils import text


def dossiers(region, action, n, status="submitted"):
    made = []
    for i in range(n):
        enrollment = f.EnrollmentFactory(action=action)
        made.append(
            Dossier.objects.create(
                region=region,
                action=action,
                enrollment=enrollment,
                kind="RS1",
                status=status,
                created_at=dt.datetime(2026, 3, 1 + i, tzinfo=dt.UTC),
            )
        )
    return made


@pytest.fixture
def action(region, provider):
    return f.TrainingActionFactory(region=region, provider=provider, number="2026-PM-042")


def test_a_capped_count_pages_through_every_row_without_counting_them_all(region, action):
    made = dossiers(region, action, 5)
    rows = Dossier.objects.order_by("-created_at").values_list("pk", flat=True)
    paginator = CappedCountPaginator(rows, 2, cap=3)
    assert paginator.more
    newest_first = [d.pk for d in reversed(made)]
    seen = []
    for number in (1, 2, 3):
        page = paginator.page(number)
        seen += list(page.object_list)
        assert page.has_next() is (number < 3)
    assert seen == newest_first
    assert paginator.get_page(9).object_list  # past the end: a page, not an error
    small = CappedCountPaginator(rows, 2, cap=10)
    assert not small.more and small.num_pages == 3 and small.count == 5


def test_the_dossier_list_says_more_than_the_cap_and_still_pages(
    agent_client, region, action, monkeypatch
):
    monkeypatch.setattr(views_generic, "COUNT_CAP", 3)
    monkeypatch.setattr(views_generic, "PAGE_SIZE", 2)
    monkeypatch.setattr(
        views_generic.paginate, "__defaults__", (2,) + views_generic.paginate.__defaults__[1:]
    )
    dossiers(region, action, 5)
    url = reverse("dossiers:list")
    first = text(agent_client.get(url, {"status": "submitted"}))
    assert "Plus de 3 résultats" in first and "Page 1" in first and "Suivante" in first
    last = text(agent_client.get(url, {"status": "submitted", "page": 3}))
    assert "Page 3" in last and "Suivante" not in last and "Précédente" in last
    few = text(agent_client.get(url, {"status": "admitted"}))
    assert "0 résultats." in few and "Plus de" not in few


def test_the_dossier_list_finds_an_action_by_its_typed_number(
    provider_client, region, provider, action
):
    other = f.TrainingActionFactory(region=region, provider=provider, number="2026-PM-777")
    [mine] = dossiers(region, action, 1)
    [theirs] = dossiers(region, other, 1)
    elsewhere = f.TrainingActionFactory(region=region, number="2026-XX-001")  # another provider
    dossiers(region, elsewhere, 1)
    url = reverse("dossiers:list")
    response = provider_client.post(url, {"action_number": "2026-pm-042", "status": ""})
    assert response.status_code == 302 and "action_number=2026-pm-042" in response.url
    page = provider_client.get(response.url).content.decode()
    assert f"/dossiers/{mine.pk}/" in page and f"/dossiers/{theirs.pk}/" not in page
    assert 'value="2026-PM-042"' in page
    # Another provider's action, or none: no dossier at all, not every dossier.
    page = text(provider_client.get(url, {"action_number": "2026-XX-001", "status": ""}))
    assert "1 résultat" not in page and "0 résultat" in page
    # A link by id still works.
    page = provider_client.get(url, {"action": other.pk, "status": ""}).content.decode()
    assert f"/dossiers/{theirs.pk}/" in page and f"/dossiers/{mine.pk}/" not in page


def test_action_numbers_are_suggested_from_the_tenants_actions_only(
    provider_client, region, provider, action
):
    f.TrainingActionFactory(region=region, number="2026-PM-999")  # another provider's
    page = provider_client.get(reverse("dossiers:action_numbers"), {"action_number": "2026-pm"})
    body = page.content.decode()
    assert '<option value="2026-PM-042">' in body and "2026-PM-999" not in body
    empty = provider_client.get(reverse("dossiers:action_numbers"))
    assert "<option" not in empty.content.decode()
