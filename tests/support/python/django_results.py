"""The tests' Celery app with django-celery-results as its result backend
(result_backend = 'django-db', extended results on), and a client of it.

  python3 django_results.py run '{"send": [[task, args, task_id], ...], "read": [id, ...]}'
      sends each task with its id to TEST_QUEUE, then reads each id with
      AsyncResult(id).get() and prints what Python sees, one JSON line each

A worker runs it as `celery -A django_results worker`; with
DJANGO_TEST_MIGRATE=1 it migrates first, which spares the tests a Python
start of its own. The database is DJANGO_TEST_DATABASE_URL's (see
django_settings.py).
"""
import json
import os
import sys

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'django_settings')
os.environ.setdefault('DJANGO_TEST_APPS', 'django_celery_results')

import django  # noqa: E402

django.setup()

from tasks import app  # noqa: E402

app.conf.update(result_backend='django-db', result_extended=True)


if os.environ.get('DJANGO_TEST_MIGRATE') == '1':
    from django.core.management import call_command
    call_command('migrate', 'django_celery_results', verbosity=0)


def read(task_id):
    result = app.AsyncResult(task_id)
    try:
        value = result.get(timeout=10, propagate=True)
        outcome = {'value': value}
    except Exception as error:  # what get() raises is the point of the test
        outcome = {'exc_type': type(error).__name__, 'exc_module': type(error).__module__, 'exc_args': list(error.args)}
    # django-celery-results hands the name over as task_name (AsyncResult.name reads None).
    meta = app.backend.get_task_meta(task_id)
    return {'id': task_id, 'status': result.status, 'name': meta.get('task_name'), 'args': result.args,
            'kwargs': result.kwargs, 'worker': result.worker, **outcome}


def run(send=(), read_ids=()):
    for task, args, task_id in send:
        app.send_task(task, args=args, task_id=task_id, queue=os.environ['TEST_QUEUE'])
    for task_id in read_ids:
        print(json.dumps(read(task_id)), flush=True)


if __name__ == '__main__':
    request = json.loads(sys.argv[2])
    run(request.get('send', ()), request.get('read', ()))
