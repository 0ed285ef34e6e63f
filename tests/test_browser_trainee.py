"""The trainee's space on a phone (issue 15 §5): an admitted trainee of the demo logs in with
the codes they were given, must choose a password, sees their last payment in green with its
advice, and sends the document the Region asked for."""

import re

import pytest

from .browser import assert_accessible
from .test_browser import browser_page, field, log_in, orm  # noqa: F401 (browser_page: a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CODE = "Code-provisoire-2026"
CHOSEN = "Mon-secret-a-moi-2026"


def _admitted_trainee_with_codes():
    """A trainee of the demo's action whose months are paid, with a login whose password
    someone else set (must be changed) and a document requested by the agent."""
    from remu.accounts.models import User
    from remu.dossiers.models import DocumentRequest, Dossier
    from remu.payments.models import Payment

    dossier = (
        Dossier.objects.filter(
            action__number="CVL-2026-005", status="admitted", enrollment__trainee__user=None
        )
        .filter(enrollment__payments__status=Payment.Status.PAID)
        .select_related("enrollment__trainee")
        .order_by("pk")
        .first()
    )
    trainee = dossier.enrollment.trainee
    user = User.objects.create_user(
        "stagiaire-telephone@demo.remu.local",
        CODE,
        role=User.Role.TRAINEE,
        must_change_password=True,
    )
    trainee.user = user
    trainee.save(update_fields=["user"])
    DocumentRequest.objects.create(
        dossier=dossier,
        doc_type="ID",
        message="Recto et verso, lisibles.",
        requested_by=User.objects.get(email="agent@cvl.remu.local"),
    )
    return dossier.pk


def test_a_trainee_follows_their_pay_from_a_phone(browser_page, tmp_path):  # noqa: F811
    from remu.dossiers.models import DocumentRequest, SupportingDocument

    page = browser_page
    page.set_viewport_size(PHONE)
    dossier_pk = orm(_admitted_trainee_with_codes)
    page.goto(page.base_url + "/connexion/")
    assert_accessible(page)
    field(page, "Adresse électronique ou identifiant").fill("stagiaire-telephone@demo.remu.local")
    field(page, "Mot de passe").fill(CODE)
    page.get_by_role("button", name="Se connecter").click()
    # the codes were set by someone else: the trainee chooses their own password first
    page.wait_for_url("**/mot-de-passe/changer/")
    assert_accessible(page)
    field(page, "Ancien mot de passe").fill(CODE)
    field(page, "Nouveau mot de passe").fill(CHOSEN)
    field(page, "Confirmation du nouveau mot de passe").fill(CHOSEN)
    page.get_by_role("button", name=re.compile("Changer|Enregistrer|Modifier")).click()
    page.get_by_text("Votre mot de passe a été modifié.").wait_for()
    page.goto(page.base_url + "/")
    page.wait_for_url("**/mon-espace/")
    assert_accessible(page)
    # the last payment, in green, with its mandate number and its advice
    paid = page.locator(".payment-card.payment-paid").first
    assert paid.is_visible()
    assert re.search(r"mandat n° M-\d{4}-\d{5}", paid.inner_text())
    color = paid.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert color == "rgb(20, 108, 67)"  # the seed's green (#146c43)
    with page.expect_download() as download:
        paid.get_by_role("link", name=re.compile("Télécharger l'avis de paiement")).click()
    with open(download.value.path(), "rb") as advice:
        assert advice.read(5) == b"%PDF-"
    # the document the Region asked for, sent from the phone
    requested = page.get_by_role("region", name="Pièces demandées par la Région")
    assert requested.get_by_text("Recto et verso, lisibles.").is_visible()
    scan = tmp_path / "identite.pdf"
    scan.write_bytes(b"%PDF-1.4 piece d'identite")
    requested.get_by_label(re.compile("Fichier")).set_input_files(str(scan))
    requested.get_by_role("button", name=re.compile("Envoyer")).click()
    page.get_by_text(re.compile("envoyée : la Région va la vérifier")).wait_for()
    assert_accessible(page)

    def uploaded():
        return (
            SupportingDocument.objects.filter(dossier_id=dossier_pk, doc_type="ID").count(),
            DocumentRequest.objects.filter(dossier_id=dossier_pk, fulfilled_at=None).count(),
        )

    assert orm(uploaded) == (1, 0)
    # the month's detail and the rights page are readable on the phone too
    page.get_by_role("link", name=re.compile(r"^[A-ZÉ][a-zéû]+ 2026$")).first.click()
    page.get_by_role("heading", name=re.compile("Mon mois")).wait_for()
    assert_accessible(page)
    for path in ("droits-et-obligations/", "paiements/", "notifications/"):
        page.goto(page.base_url + "/mon-espace/" + path)
        assert_accessible(page)
    # a new RIB, sent from the phone; an agent validates it before any payment uses it
    page.goto(page.base_url + "/mon-espace/coordonnees-bancaires/")
    assert_accessible(page)
    field(page, "Titulaire du compte").fill("Titulaire Démo")
    field(page, "IBAN").fill("FR14 2004 1010 0505 0001 3M02 606")
    rib = tmp_path / "rib.pdf"
    rib.write_bytes(b"%PDF-1.4 rib")
    field(page, "Votre RIB (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(rib))
    page.get_by_role("button", name="Envoyer mon nouveau RIB").click()
    page.get_by_text(re.compile("Nouveau RIB envoyé")).wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.get_by_role("link", name=re.compile("Changements de RIB à valider")).click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^N° \d+$")).first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Valider le nouveau RIB").click()
    page.get_by_text(re.compile("Nouveau RIB validé")).wait_for()

    def iban():
        from remu.dossiers.models import Dossier

        return Dossier.objects.get(pk=dossier_pk).iban

    assert orm(iban) == "FR1420041010050500013M02606"
