"""An id typed in a query string or a form is a small ASCII number, or it is ignored: « ² » is
a digit for str.isdigit() but not for int(), and 40 digits overflow the database's integers."""

import pytest
from django.urls import reverse

from remu.core.forms import id_or_none

ODD_IDS = ["²", "٣", "9" * 40]


@pytest.mark.parametrize("text", ODD_IDS + ["", "12a", "-3"])
def test_odd_ids_are_none(text):
    assert id_or_none(text) is None


def test_a_plain_id_is_an_int():
    assert id_or_none("42") == 42


@pytest.mark.django_db
@pytest.mark.parametrize("text", ODD_IDS)
def test_dossier_list_and_action_options_ignore_odd_ids(provider_client, text):
    assert provider_client.get(reverse("dossiers:list"), {"action": text}).status_code == 200
    response = provider_client.get(reverse("dossiers:action_options"), {"campaign": text})
    assert response.status_code == 200
