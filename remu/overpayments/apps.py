from django.apps import AppConfig


class OverpaymentsConfig(AppConfig):
    name = "remu.overpayments"
    verbose_name = "Indus"

    def ready(self):
        # Lower apps offer hooks rather than importing this one (docs/architecture.md, Layers):
        # the dropout decision and the payment run's offsets call what is registered here.
        from remu.attendance import services as attendance
        from remu.payments import corrections, offsets

        from . import claims, detection, overlap, wrong_information

        attendance.exit_hooks.register(
            validated=detection.on_exit_validated,
            preview=detection.preview_for_withdrawal,
            validated_many=detection.on_exits_validated,
        )
        offsets.register(claims.Claims())
        corrections.register(
            earlier_values=wrong_information.earlier_values, benefit_periods=overlap.periods_of
        )
