from django.apps import AppConfig


class ScalesConfig(AppConfig):
    name = "remu.scales"
