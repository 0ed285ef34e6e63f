"""An overpayment followed in a real browser (issue 13): a provider declares a dropout without
legitimate reason; the agent sees the claim before validating, validates, issues the order to
repay (PDF), records a repayment plan; a later run withholds it from the pay of a new training."""

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect

from remu.rules.money import euros

from .browser import assert_accessible
from .test_browser import browser_page, field, log_in, orm, pytestmark  # noqa: F401


def _paid_demo_month():
    """The demo's validated action paid up to last month; one of its trainees."""
    from remu.accounts.models import User
    from remu.actions.models import TrainingAction
    from remu.payments import services

    agent = User.objects.get(email="agent@cvl.remu.local")
    action = TrainingAction.objects.get(number="CVL-2026-005")
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    services.execute_run(services.start_run(agent.region, "monthly", last_month, agent).pk)
    enrollment = action.enrollments.filter(dossiers__status="admitted").order_by("pk").first()
    provider_user = action.provider.memberships.first().user
    return enrollment.pk, enrollment.trainee_id, provider_user.email, last_month


def _new_training(trainee_id, last_month):
    """The trainee enters another training of the region (admitted, a month validated)."""
    from remu.accounts.models import User
    from remu.actions.models import TrainingAction
    from remu.attendance import services as attendance
    from remu.dossiers.models import Dossier, DossierTransition
    from remu.payments import services
    from remu.referential.models import Provider
    from remu.trainees.models import Enrollment, Trainee

    from . import factories as f

    agent = User.objects.get(email="agent@cvl.remu.local")
    demo = TrainingAction.objects.get(number="CVL-2026-005")
    provider = Provider.objects.filter(region=agent.region).order_by("pk").first()
    provider_user = provider.memberships.first().user
    start = last_month + dt.timedelta(days=14)
    action = f.TrainingActionFactory(
        region=agent.region, provider=provider, campaign=demo.campaign, programme=demo.programme,
        planned_start=start, planned_end=start + dt.timedelta(days=180), number="CVL-2026-099",
    )  # fmt: skip
    enrollment = Enrollment.objects.create(
        action=action, trainee=Trainee.objects.get(pk=trainee_id), entry_date=start
    )
    dossier = Dossier.objects.create(
        region=agent.region, action=action, enrollment=enrollment, kind="RS1", status="admitted",
        rate_category="JOB_SEEKER", weekly_hours=Decimal(35), number="CVL-2026-900099",
        iban="FR7630006000011234567890189", bic="BNPAFRPP", account_holder="Stagiaire",
    )  # fmt: skip
    DossierTransition.objects.create(
        dossier=dossier, from_status="received", to_status="admitted", by=agent
    )
    statement = attendance.create_statement(action, provider_user, dt.date.today())
    lines = list(statement.lines.all())
    attendance.declare_presence(lines, "full_month")
    attendance.validate_lines(lines, provider_user)
    services.execute_run(services.start_run(agent.region, "monthly", last_month, agent).pk)
    return enrollment.pk


def test_agent_follows_a_dropout_claim_from_preview_to_offset(browser_page):  # noqa: F811
    from remu.overpayments.models import Overpayment
    from remu.payments.models import Payment

    page = browser_page
    enrollment_id, trainee_id, provider_email, last_month = orm(_paid_demo_month)
    exit_date = last_month + dt.timedelta(days=9)
    # The provider declares the dropout, without a legitimate reason.
    log_in(page, provider_email)
    page.wait_for_url(re.compile(r".*/organisme/.*|.*/$"))
    page.goto(page.base_url + f"/inscriptions/{enrollment_id}/abandon/")
    assert_accessible(page)
    field(page, "Motif").select_option(label="Autre motif")
    field(page, "Date réelle de sortie").fill(exit_date.isoformat())
    page.get_by_role("button", name="Déclarer l'abandon").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Se déconnecter").click()
    # The agent sees the claim before validating: nothing is written until then.
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.goto(page.base_url + "/region/abandons/")
    page.get_by_role("listitem").filter(has_text="Autre motif").get_by_role("link").click()
    heading = page.get_by_role("heading", name=re.compile("Indu créé si vous validez"))
    expect(heading).to_be_visible()
    preview = heading.inner_text()
    expect(page.get_by_text("Abandon sans motif légitime")).to_be_visible()
    assert_accessible(page)
    mine = Overpayment.objects.filter(enrollment_id=enrollment_id)
    assert orm(mine.count) == 0
    page.get_by_label("Valider l'abandon").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_load_state()
    claim = orm(mine.get)
    assert claim.amount > 0 and plain(euros(claim.amount)) in plain(preview)  # as previewed
    # The order to repay, then its PDF letter.
    page.goto(page.base_url + f"/region/indus/{claim.pk}/")
    assert_accessible(page)
    page.get_by_role("button", name="Émettre l'ordre de reversement").click()
    expect(page.get_by_text("L'ordre de reversement est émis.")).to_be_visible()
    notice = page.get_by_role("link", name="courrier (PDF)")
    pdf = page.request.get(page.base_url + notice.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    # A repayment plan in three instalments.
    field(page, "Nombre d'échéances").fill("3")
    field(page, "Première échéance").fill((dt.date.today() + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Établir l'échéancier").click()
    expect(page.get_by_role("table", name="Échéancier").get_by_role("row")).to_have_count(4)
    expect(page.get_by_text("En recouvrement").first).to_be_visible()
    assert_accessible(page)
    # The trainee enters another training: the next run withholds the claim from that pay.
    new_enrollment = orm(lambda: _new_training(trainee_id, last_month))
    line = orm(lambda: Payment.objects.get(enrollment_id=new_enrollment, component="remuneration"))
    assert line.offset > 0 and "retenus sur un trop-perçu" in line.label
    page.reload()
    expect(page.get_by_text("Retenue sur une rémunération")).to_be_visible()
    expect(page.get_by_text(euros(claim.amount - line.offset)).first).to_be_visible()
    page.goto(page.base_url + f"/stagiaires/{trainee_id}/")
    expect(page.get_by_text(re.compile("retenus sur un trop-perçu")).first).to_be_visible()
    assert_accessible(page)


def plain(text):
    return text.replace("\u202f", " ").replace("\xa0", " ")
