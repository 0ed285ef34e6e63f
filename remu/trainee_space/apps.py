from django.apps import AppConfig


class TraineeSpaceConfig(AppConfig):
    name = "remu.trainee_space"
    verbose_name = "Espace stagiaire"

    def ready(self):
        # Lower apps offer hooks rather than importing this one (docs/architecture.md, Layers):
        # the SEPA export, the document requests and the order to repay e-mail the trainee;
        # admitting an RS1 dossier (and an agent's re-issue) gets the trainee's access codes.
        from remu.dossiers import decisions

        from . import access, notifications

        notifications.register()
        decisions.access_hooks.register(access.issue_codes)
