"""Issue 14 §1.8: random input to every form reached and to every API operation never gives a
server error. Bounded (a few dozen examples each, no deadline) so the suite stays fast; the
Django test client raises the server's exception, so a failure shows its traceback."""

import datetime as dt
import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remu.api.models import ApiToken

from .test_hardening_urls_pii import walk, world  # noqa: F401 (fixture: a draft dossier too)

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# What people (and probes) type: text, numbers of any size and form, far dates, blanks.
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e308", "1E+1000000", "-0", "1,5", "12,345", "0x1F", "٣", "9" * 400]),
)
DATES = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
    st.sampled_from(["0001-01", "9999-12", "2026-02-30", "31/12/9999", "2026-13-01"]),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
VALUE = st.one_of(TEXT, NUMBERS, DATES, st.just(""))
NOT_FUZZED = ("/deconnexion/", "/mot-de-passe/", "/mon-compte/")


class Forms(HTMLParser):
    """The forms of a page: action, method and each field's name and offered values."""

    def __init__(self, url):
        super().__init__()
        self.url, self.forms, self._form, self._select = url, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = {"action": a.get("action") or self.url, "method": method, "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and a.get("name") and a.get("type") != "file":
            if tag in ("input", "textarea", "select"):
                values = self._form["fields"].setdefault(a["name"], [])
                if a.get("value"):
                    values.append(a["value"])
                if tag == "select":
                    self._select = values
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def forms_reached(client, start):
    _, seen = walk(client, start, [])
    found = {}
    for url in sorted(seen):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = Forms(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            if form["action"].startswith("/") and not form["action"].startswith(NOT_FUZZED):
                found[(form["method"], form["action"])] = form
    return list(found.values())


def form_values(form):
    """A value for every field: one it offers (a valid choice) or anything typed."""
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.sampled_from(offered), VALUE) if offered else VALUE
            for name, offered in form["fields"].items()
            if name != "csrfmiddlewaretoken"
        }
    )


@pytest.mark.parametrize("role", ["agent", "provider_user"])
def test_random_input_to_every_form_is_never_a_server_error(client, world, role):  # noqa: F811
    user = world[0][role]
    client.force_login(user)
    forms = forms_reached(client, reverse("home:home"))
    assert len(forms) >= 5

    @FUZZ
    @given(st.data())
    def post_random(data):
        client.force_login(user)  # a fuzzed form may have logged out or switched provider
        form = data.draw(st.sampled_from(forms))
        values = data.draw(form_values(form))
        send = client.get if form["method"] == "get" else client.post
        response = send(form["action"], values)
        assert response.status_code < 500, (form["action"], values)

    post_random()


def test_random_input_to_the_public_simulator(client, db):
    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "region": st.sampled_from(["centre-val-de-loire", "national", "x"]),
                "birth_date": DATES,
                "start_date": DATES,
                "weekly_hours": NUMBERS,
                "distance_km": NUMBERS,
                "training_total_hours": NUMBERS,
                "prior_salary": NUMBERS,
                "unemployment_benefit": st.sampled_from(["oui", "non", ""]),
            }
        )
    )
    def simulate(values):
        assert client.get(reverse("simulator:simulate"), values).status_code < 500

    simulate()


# -- The API, from its own OpenAPI description ------------------------------------------------


def from_schema(schema, components):
    """A Hypothesis strategy for a JSON schema of the API (objects, arrays, scalars, $ref), with
    each scalar also tried as any other JSON type."""
    if "$ref" in schema:
        return from_schema(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, components) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, components) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v, components) for k, v in properties.items() if k not in required
            },
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), components), max_size=4)
    scalar = {
        "string": st.one_of(TEXT, NUMBERS, DATES),
        "integer": st.integers(min_value=-(2**70), max_value=2**70),
        "number": st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
        "boolean": st.booleans(),
    }.get(kind, st.none())
    return st.one_of(scalar, st.none(), st.integers(), TEXT)


def test_random_calls_to_every_api_operation_are_never_a_server_error(client, pay_world, provider):
    _, raw = ApiToken.issue(
        provider=pay_world["line"].statement.action.provider,
        name="fuzz",
        user=pay_world["provider_user"],
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    known_ids = [pay_world["line"].statement.pk, pay_world["line"].statement.action_id]
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 5

    @FUZZ
    @given(st.data())
    def call(data):
        path, method, operation = data.draw(st.sampled_from(operations))
        for parameter in operation.get("parameters", []):
            value = data.draw(st.one_of(st.sampled_from(known_ids), st.integers(-(2**70), 2**70)))
            path = path.replace("{" + parameter["name"] + "}", str(value))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        payload = data.draw(from_schema(body["schema"], components)) if body else None
        response = getattr(client, method)(
            path,
            json.dumps(payload) if payload is not None else "",
            content_type="application/json",
            **auth,
        )
        assert response.status_code < 500, (method, path, payload)

    call()
