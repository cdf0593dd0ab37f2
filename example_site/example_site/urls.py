from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import FileResponse, HttpRequest
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

FAVICON = Path(__file__).resolve().parent.parent / "shop" / "static" / "shop" / "favicon.ico"


def favicon(request: HttpRequest) -> FileResponse:
    """Browsers ask for /favicon.ico on every page; without it each page view logs a 404.
    Served here, not from STATIC_URL, so it answers with DEBUG off too."""
    response = FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("personalization/", include("personalization_plugin.urls")),
    path("widgets/", include("storefront_widgets.urls")),
    path("graphql/", include("personalization_plugin.graphql.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("shop.urls")),
    path("", include(wagtail_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns = (
        staticfiles_urlpatterns()
        + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
        + urlpatterns
    )
