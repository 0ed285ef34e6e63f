# The former flags become the France Travail situation, in a migration of its own: on
# PostgreSQL a table cannot be altered in the transaction that updated its rows.

from django.db import migrations


def benefit_from_flags(apps, schema_editor):
    """The three former flags become one France Travail situation (ARE first: it decides who
    pays). An admitted dossier on ARE kept its regional pay as decided: its ARE end date is the
    training's end (the date was never asked), its pay start stays empty."""
    Dossier = apps.get_model("dossiers", "Dossier")
    Dossier.objects.filter(rsa=True).update(france_travail_benefit="RSA")
    Dossier.objects.filter(ass=True).update(france_travail_benefit="ASS")
    Dossier.objects.filter(compensated=True).update(france_travail_benefit="ARE")
    for dossier in Dossier.objects.filter(compensated=True, status="admitted"):
        dossier.are_end_date = dossier.real_end or dossier.action.end_date
        dossier.save(update_fields=["are_end_date"])


def flags_from_benefit(apps, schema_editor):
    Dossier = apps.get_model("dossiers", "Dossier")
    for code, flag in (("ARE", "compensated"), ("ASS", "ass"), ("RSA", "rsa")):
        Dossier.objects.filter(france_travail_benefit=code).update(**{flag: True})


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0005_france_travail_benefit_and_pay_start'),
    ]

    operations = [
        migrations.RunPython(benefit_from_flags, flags_from_benefit),
    ]
