from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "remu.payments"
