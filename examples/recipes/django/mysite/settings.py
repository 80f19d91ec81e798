"""Settings for the recipe: the database comes from DATABASE_URL (db-migrate sets it to a shadow database)."""
import os
from urllib.parse import unquote, urlparse

_url = urlparse(os.environ.get("DATABASE_URL", "postgresql://localhost/app"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path[1:]),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": _url.port or 5432,
    }
}
INSTALLED_APPS = ["shop"]
SECRET_KEY = "only-for-the-recipe"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
