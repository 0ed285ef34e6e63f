from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "remu.simulator"
