from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "remu.audit"
    verbose_name = "Journal des accès"
