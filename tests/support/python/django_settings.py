"""A minimal Django settings module for the django-celery-beat and
django-celery-results tests.

DJANGO_TEST_APPS names the apps, comma-separated (django_beat.py and
django_results.py each set their own, so either runs where only its
package is installed).

The database comes from DJANGO_TEST_DATABASE_URL (file:PATH, postgresql://
or mysql:// as the TypeScript tests give it; a PostgreSQL ?schema= becomes
the search path, as for prisma-celery), so Django's own migrations make the
tables on each test's (or bench run's) database. The bench runs
`python3 -m django migrate django_celery_results` with it.
"""
import os
from urllib.parse import parse_qs, unquote, urlparse

SECRET_KEY = 'prisma-celery-tests'
USE_TZ = True
TIME_ZONE = 'UTC'
INSTALLED_APPS = os.environ['DJANGO_TEST_APPS'].split(',')
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'


def _database(url):
    if url.startswith('file:'):
        return {'ENGINE': 'django.db.backends.sqlite3', 'NAME': url[len('file:'):]}
    parsed = urlparse(url)
    engine = 'postgresql' if parsed.scheme.startswith('postgres') else 'mysql'
    schema = parse_qs(parsed.query).get('schema')
    options = {'options': f'-c search_path={schema[0]}'} if engine == 'postgresql' and schema else {}
    return {
        'OPTIONS': options,
        'ENGINE': f'django.db.backends.{engine}',
        'NAME': parsed.path.lstrip('/'),
        'USER': unquote(parsed.username or ''),
        'PASSWORD': unquote(parsed.password or ''),
        'HOST': parsed.hostname or '127.0.0.1',
        'PORT': str(parsed.port or ''),
    }


DATABASES = {'default': _database(os.environ['DJANGO_TEST_DATABASE_URL'])}
