from django.urls import include, path

urlpatterns = [
    path("", include("remu.home.urls")),
    path("", include("remu.accounts.urls")),
    path("", include("remu.communes.urls")),
    path("", include("remu.referential.urls")),
    path("", include("remu.actions.urls")),
    path("", include("remu.scales.urls")),
    path("", include("remu.dossiers.urls")),
    path("", include("remu.attendance.urls")),
    path("", include("remu.api.urls")),
    path("", include("remu.api.token_urls")),
    path("", include("remu.payments.urls")),
    path("", include("remu.overpayments.urls")),
    path("", include("remu.simulator.urls")),
    path("", include("remu.audit.urls")),
    path("", include("remu.execution.urls")),
    path("", include("remu.invoicing.urls")),
    path("", include("remu.trainee_space.urls")),
    path("", include("remu.trainee_space.oidc_urls")),
]
