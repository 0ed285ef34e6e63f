from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "remu.execution"
    verbose_name = "Exécution des actions"
