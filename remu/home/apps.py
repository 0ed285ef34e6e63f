from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The pages that gather several apps: each role's home and the trainee page."""

    name = "remu.home"
