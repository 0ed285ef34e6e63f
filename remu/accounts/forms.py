from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core import validators

from remu.communes.forms import AddressFormMixin
from remu.core.forms import StyledForm, StyledFormMixin, StyledModelForm
from remu.referential.models import Provider

from .lockout import normalise_login
from .models import User


class LoginField(forms.CharField):
    """An e-mail address, or a trainee's identifier (completed into its login)."""

    def clean(self, value):
        value = normalise_login(super().clean(value))
        try:
            validators.validate_email(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        return value


class LoginForm(StyledFormMixin, auth_forms.AuthenticationForm):
    username = LoginField(
        label="Adresse électronique ou identifiant",
        help_text="Stagiaire : l'identifiant qui figure sur votre décision de prise en charge.",
        max_length=254,
        error_messages={"invalid": "Saisissez une adresse électronique ou un identifiant valide."},
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    error_messages = {
        "invalid_login": "Identifiant ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé. Contactez la Région.",
    }


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """Also for trainees, whose login is not their address: the address on their trainee
    record (`Trainee.email`) finds their account, and the link is sent there."""

    def get_users(self, email):
        yield from super().get_users(email)
        trainees = User.objects.filter(
            role=User.Role.TRAINEE,
            is_active=True,
            email__iendswith="@" + settings.TRAINEE_LOGIN_DOMAIN,
            trainee__email__iexact=email,
        )
        yield from (u for u in trainees if u.has_usable_password())

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        suffix = "@" + settings.TRAINEE_LOGIN_DOMAIN
        context["login"] = to_email
        if to_email.lower().endswith(suffix):
            context["login"] = to_email[: -len(suffix)]  # the identifier the trainee types
            to_email = self.cleaned_data["email"]  # the trainee's address, which found them
        super().send_mail(
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class LoginChangeForm(StyledForm):
    """Changing one's login (the e-mail address) needs the current password."""

    email = forms.EmailField(label="Nouvelle adresse électronique (identifiant)")
    password = forms.CharField(
        label="Mot de passe actuel",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError("Cette adresse est déjà utilisée par un autre compte.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Mot de passe incorrect.")
        return password


class ProviderAddressForm(AddressFormMixin, StyledModelForm):
    class Meta:
        model = Provider
        fields = ["address_line1", "address_line2", "postal_code", "commune", "phone", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_address()
        self.fields["address_line1"].required = True
        self.fields["postal_code"].required = True


class InvitationForm(StyledForm):
    email = forms.EmailField(label="Adresse électronique")
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    is_admin = forms.BooleanField(
        label="Administrateur de l'organisme (gère les jetons d'accès de l'organisme)",
        required=False,
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing and existing.role != User.Role.PROVIDER:
            raise forms.ValidationError(
                "Cette adresse appartient déjà à un compte qui n'est pas celui d'un organisme."
            )
        return email
