"""Replace Wagtail's default welcome page with the store's HomePage as the site root."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("shop.HomePage")

    if HomePage.objects.exists():
        return
    page_type = ContentType.objects.filter(model="page", app_label="wagtailcore").first()
    if page_type is not None:
        Page.objects.filter(content_type=page_type, slug="home", depth=2).delete()
    if Page.objects.filter(depth=2).exists():
        return  # someone already has a site tree: leave it alone
    root = Page.objects.filter(depth=1).first()
    if root is None:
        return
    locale = Locale.objects.order_by("pk").first()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="shop")
    home = HomePage.objects.create(
        title="Hearth & Field",
        draft_title="Hearth & Field",
        slug="home",
        content_type=home_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        live=True,
        body=[],
    )
    Page.objects.filter(pk=root.pk).update(numchild=1)
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True,
                        site_name="Hearth & Field")


def remove_homepage(apps, schema_editor):
    apps.get_model("shop.HomePage").objects.filter(depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
