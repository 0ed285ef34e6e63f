"""Issue 14 §1.5: no request line (URL and query string) carries a NIR, an IBAN or a person's
name. Walks the application as an agent and as a provider, from their home pages, and checks
every link, every form that submits by GET and every htmx GET, on every page reached."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import unquote_plus, urljoin, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from remu.dossiers.models import Dossier, DossierNumberSequence

from . import factories as f

# Parameter names whose value is a NIR, an IBAN or a person's name.
SENSITIVE = ("nir", "iban", "name", "holder", "first_names", "birth_name", "usage_name")
SKIP = ("/deconnexion/", ".pdf", ".xlsx", "/telecharger", "/fichier", "/static/", "/api/")
PAGES_PER_ROLE = 120


class Page(HTMLParser):
    """Links, GET forms and their fields, and htmx GET requests of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.get_forms, self.hx_gets = [], [], []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = {"action": a.get("action", ""), "fields": []} if method == "get" else None
            if self._form is not None:
                self.get_forms.append(self._form)
        named = tag in ("input", "select", "textarea", "button") and a.get("name")
        if named and self._form is not None:
            self._form["fields"].append(a["name"])
        if a.get("hx-get"):
            self.hx_gets.append(
                {"url": a["hx-get"], "name": a.get("name", ""), "include": a.get("hx-include", "")}
            )

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def sensitive(name: str) -> bool:
    return any(word in name.lower() for word in SENSITIVE)


def walk(client, start, secrets):
    """Breadth-first over the pages reachable from `start`; returns the faults found."""
    faults, seen, queue = [], {start}, deque([start])
    while queue and len(seen) <= PAGES_PER_ROLE:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code == 302:
            line = unquote_plus(response.url).lower()
            faults += [f"{url} redirects with « {s} »" for s in secrets if s.lower() in line]
            if response.url not in seen and response.url.startswith("/"):
                seen.add(response.url)
                queue.append(response.url)
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for href in page.links + [h["url"] for h in page.hx_gets]:
            line = unquote_plus(href).lower()
            faults += [f"{url}: {href} carries « {s} »" for s in secrets if s.lower() in line]
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in seen and not any(s in path for s in SKIP) and href in page.links:
                seen.add(path)
                queue.append(path)
        for form in page.get_forms:
            faults += [
                f"{url}: GET form {form['action'] or url} sends « {name} »"
                for name in form["fields"]
                if sensitive(name)
            ]
        for hx in page.hx_gets:
            if sensitive(hx["name"]) or sensitive(hx["include"]) or "form" in hx["include"]:
                faults.append(f"{url}: hx-get {hx['url']} sends {hx['name'] or hx['include']}")
    return faults, seen


@pytest.fixture
def world(pay_world):
    dossier = pay_world["dossier"]
    trainee = dossier.trainee
    trainee.birth_name, trainee.first_names = "DUPONTEL", "Zéphyrine"
    trainee.save()
    dossier.iban, dossier.account_holder = "FR7630006000011234567890189", "Zéphyrine Dupontel"
    dossier.save()
    # The world's numbers were typed, not drawn: numbering goes on after them.
    year = timezone.localdate().year
    DossierNumberSequence.objects.create(region=dossier.region, year=year, last=100)
    draft = f.EnrollmentFactory(action=dossier.action, trainee__birth_name="BRUNEAU")
    Dossier.objects.create(region=dossier.region, action=dossier.action, enrollment=draft)
    secrets = [trainee.nir, dossier.iban, "dupontel", "zéphyrine", "bruneau", draft.trainee.nir]
    return pay_world, secrets


@pytest.mark.parametrize("role", ["agent", "provider_user"])
def test_no_request_line_carries_a_nir_an_iban_or_a_name(client, world, role):
    pay_world, secrets = world
    client.force_login(pay_world[role])
    faults, seen = walk(client, reverse("home:home"), secrets)
    assert len(seen) > 10  # the walk did reach the application
    assert faults == []


def test_the_dossier_pages_were_walked_with_their_htmx(client, world):
    pay_world, secrets = world
    client.force_login(pay_world["provider_user"])
    _, seen = walk(client, reverse("home:home"), secrets)
    assert any(path.startswith("/dossiers/") for path in seen)


def test_search_by_name_is_posted_and_kept_in_the_session(provider_client, world):
    pay_world, _ = world
    response = provider_client.post(reverse("dossiers:list"), {"name": "dupontel", "status": ""})
    assert response.status_code == 302 and "dupontel" not in response.url.lower()
    page = provider_client.get(response.url).content.decode()
    assert "DUPONTEL" in page and "BRUNEAU" not in page


def test_nir_prefill_is_posted_with_only_its_fields(provider_client, world):
    pay_world, _ = world
    dossier = pay_world["dossier"]
    url = reverse("dossiers:nir_prefill", args=[dossier.pk])
    assert provider_client.get(url, {"civil-civility": "MME"}).status_code == 405
    response = provider_client.post(
        url, {"civil-civility": "MME", "civil-birth_date": "1990-01-01", "civil-nir": ""}
    )
    assert response.status_code == 200 and 'value="290' in response.content.decode()
