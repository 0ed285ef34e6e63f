"""The application's URLs plus one view that fails, to see the error page users would see."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path


@login_not_required
def boom(request):
    raise RuntimeError("DATABASE_URL=postgres://secret@db/remu")


urlpatterns = [path("boom/", boom), path("", include("remu.urls"))]
