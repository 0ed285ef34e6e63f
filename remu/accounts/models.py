from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remu.core.models import scoped


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=User.Role.SUPERUSER)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address; the role decides which area they enter."""

    class Role(models.TextChoices):
        AGENT = "agent", "Agent de la Région"
        PROVIDER = "provider", "Organisme de formation"
        TRAINEE = "trainee", "Stagiaire"
        SUPERUSER = "superuser", "Administrateur technique"

    email = models.EmailField("adresse électronique", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    role = models.CharField("rôle", max_length=10, choices=Role.choices)
    region = models.ForeignKey(
        "referential.Region",
        verbose_name="région",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
    )
    is_rules_admin = models.BooleanField("administrateur des règles", default=False)
    must_change_password = models.BooleanField("doit changer son mot de passe", default=False)
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="agent") | Q(region__isnull=False),
                name="agent_has_region",
            ),
            models.CheckConstraint(
                condition=Q(role="agent") | Q(is_rules_admin=False),
                name="rules_admin_is_agent",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email

    @property
    def is_agent(self) -> bool:
        return self.role == self.Role.AGENT

    @property
    def is_provider_user(self) -> bool:
        return self.role == self.Role.PROVIDER


class ProviderMembership(models.Model):
    """Links a provider user to a provider it works for; a user may serve several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    provider = models.ForeignKey(
        "referential.Provider", on_delete=models.CASCADE, related_name="memberships"
    )
    is_admin = models.BooleanField("administrateur de l'organisme", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = scoped(provider_lookup="provider", region_lookup="provider__region").as_manager()

    class Meta:
        ordering = ["provider__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="unique_provider_membership")
        ]

    def __str__(self):
        return f"{self.user} – {self.provider}"


class OidcIdentity(models.Model):
    """An OpenID Connect identity (FranceConnect-style) linked to a user at its first login.

    The pair (issuer, subject) is the key: once linked, the identity logs in as its user without
    comparing names again (remu.trainee_space.oidc)."""

    issuer = models.CharField("fournisseur d'identité", max_length=255)
    subject = models.CharField("identifiant chez le fournisseur (sub)", max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oidc_identities")
    linked_at = models.DateTimeField("liée le", default=timezone.now)
    last_login_at = models.DateTimeField("dernière connexion", null=True, blank=True)

    class Meta:
        verbose_name = "identité OpenID Connect"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_oidc_identity"),
            models.UniqueConstraint(fields=["user", "issuer"], name="one_oidc_identity_per_issuer"),
        ]

    def __str__(self):
        return f"{self.subject} @ {self.issuer}"
