from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "remu.invoicing"
    verbose_name = "Réalisé et facturation"
