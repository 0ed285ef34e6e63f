from django.apps import AppConfig


class TraineeSpaceConfig(AppConfig):
    name = "remu.trainee_space"
    verbose_name = "Espace stagiaire"
