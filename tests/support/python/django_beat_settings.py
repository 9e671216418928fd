"""A minimal Django settings module for the django-celery-beat tests.

The database comes from DJANGO_TEST_DATABASE_URL (file:PATH, postgresql://
or mysql:// as the TypeScript tests give it), so Django's own migrations
make the tables on each test's database.
"""
import os
from urllib.parse import unquote, urlparse

SECRET_KEY = 'prisma-celery-tests'
USE_TZ = True
TIME_ZONE = 'UTC'
INSTALLED_APPS = ['django_celery_beat']
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'


def _database(url):
    if url.startswith('file:'):
        return {'ENGINE': 'django.db.backends.sqlite3', 'NAME': url[len('file:'):]}
    parsed = urlparse(url)
    engine = 'postgresql' if parsed.scheme.startswith('postgres') else 'mysql'
    return {
        'ENGINE': f'django.db.backends.{engine}',
        'NAME': parsed.path.lstrip('/'),
        'USER': unquote(parsed.username or ''),
        'PASSWORD': unquote(parsed.password or ''),
        'HOST': parsed.hostname or '127.0.0.1',
        'PORT': str(parsed.port or ''),
    }


DATABASES = {'default': _database(os.environ['DJANGO_TEST_DATABASE_URL'])}
