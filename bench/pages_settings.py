"""Settings for ``make bench-pages`` only: the product's settings (read from the
environment the bench sets: DATABASE_URL, DEBUG off, …) plus the bare view's URL and
template. The product never loads this module, so nothing here is reachable from it."""

from dealdesk.settings import *  # noqa: F403
from dealdesk.settings import BASE_DIR, TEMPLATES, VAR_DIR

ROOT_URLCONF = "bench.pages_urls"

TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]

# DEBUG is off, so {% static %} reads collectstatic's manifest: the bench collects into a
# folder of its own rather than the deployment's STATIC_ROOT.
STATIC_ROOT = VAR_DIR / "bench-pages" / "static"
