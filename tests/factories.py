from datetime import date
from decimal import Decimal

import factory
from stdnum import luhn

from remu.accounts.models import ProviderMembership, User
from remu.actions.models import TrainingAction
from remu.communes.models import Commune
from remu.referential.models import Campaign, Programme, Provider, Region
from remu.trainees.models import Enrollment, Trainee

PASSWORD = "mot-de-passe-de-test"


def make_siret(n: int) -> str:
    siren = f"{n:08d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def make_nir(sex: int, birth: date, insee: str, order: int) -> str:
    body = f"{sex}{birth:%y}{birth:%m}{insee}{order:03d}"
    return body + f"{97 - int(body) % 97:02d}"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"Région {n}")
    parameter_set = "national"
    assistance_phone = "01 23 45 67 89"
    assistance_email = "assistance@region.example"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    label = factory.Sequence(lambda n: f"Campagne {n}")
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Dispositif {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Organisme {n}")
    siret = factory.Sequence(lambda n: make_siret(10_000_000 + n))


class TrainingActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAction

    region = factory.SubFactory(RegionFactory)
    number = factory.Sequence(lambda n: f"ACT-{n:04d}")
    title = factory.Sequence(lambda n: f"Formation {n}")
    provider = factory.SubFactory(ProviderFactory, region=factory.SelfAttribute("..region"))
    campaign = factory.SubFactory(CampaignFactory, region=factory.SelfAttribute("..region"))
    programme = factory.SubFactory(ProgrammeFactory, region=factory.SelfAttribute("..region"))
    kind = TrainingAction.Kind.OFF_MARKET
    planned_start = date(2026, 3, 2)
    planned_end = date(2026, 9, 30)
    weekly_hours = Decimal("35")
    max_trainees = 12
    max_paid_trainees = 10


class TraineeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trainee

    region = factory.SubFactory(RegionFactory)
    civility = "MME"
    birth_name = factory.Sequence(lambda n: f"Nom{n}")
    first_names = factory.Sequence(lambda n: f"Prénom{n}")
    birth_date = date(1990, 5, 17)
    nir = factory.Sequence(lambda n: make_nir(2, date(1990, 5, 17), "45234", n % 999 + 1))


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    action = factory.SubFactory(TrainingActionFactory)
    trainee = factory.SubFactory(TraineeFactory, region=factory.SelfAttribute("..action.region"))
    entry_date = factory.SelfAttribute("action.planned_start")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Dominique"
    last_name = factory.Sequence(lambda n: f"Utilisateur{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(UserFactory):
    role = User.Role.AGENT
    region = factory.SubFactory(RegionFactory)


class ProviderUserFactory(UserFactory):
    role = User.Role.PROVIDER

    @factory.post_generation
    def providers(obj, create, extracted, **kwargs):
        for provider in extracted or []:
            ProviderMembership.objects.create(user=obj, provider=provider)


def commune(insee: str) -> Commune:
    return Commune.objects.get(insee_code=insee)


def accept_required_documents(dossier, user, *, except_for=()) -> None:
    """Every document the dossier requires, on file and accepted at reception (but those in
    `except_for`): what admission asks for."""
    from django.core.files.base import ContentFile

    from remu.dossiers import services
    from remu.dossiers.models import SupportingDocument

    present = {d.doc_type for d in dossier.documents.all()}
    for doc_type in services.required_documents(dossier):
        if doc_type not in present and doc_type not in except_for:
            document = SupportingDocument(
                dossier=dossier,
                doc_type=doc_type,
                original_name=f"{doc_type}.pdf",
                content_type="application/pdf",
                size=9,
                uploaded_by=user,
            )
            document.file.save("upload", ContentFile(b"%PDF-1.4\n"), save=False)
            document.save()
    dossier.documents.exclude(doc_type__in=except_for).update(review="accepted")
