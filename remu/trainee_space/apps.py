from django.apps import AppConfig


class TraineeSpaceConfig(AppConfig):
    name = "remu.trainee_space"
    verbose_name = "Espace stagiaire"

    def ready(self):
        # Lower apps offer hooks rather than importing this one (docs/architecture.md, Layers):
        # admitting an RS1 dossier (and an agent's re-issue) gets the trainee's access codes.
        from remu.dossiers import decisions

        from . import access

        decisions.access_hooks.register(access.issue_codes)
