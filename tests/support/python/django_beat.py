"""Django's side of the django-celery-beat tests, on DJANGO_TEST_DATABASE_URL.

Reads one JSON command a line on stdin and answers each with one JSON line:

  {"op": "migrate"}                     Django's migrations for django_celery_beat
  {"op": "save", "name": N, "task": T, "every": S | "crontab": {...} | "solar": {...},
   "args": [...], "enabled": bool}     create or change a PeriodicTask through the ORM (signals fire)
  {"op": "update", "name": N, "fields": {...}}
                                        a queryset .update() (no signals, no date_changed)
  {"op": "delete", "name": N}
  {"op": "schedule"}                    what one DatabaseScheduler instance (made at the first
                                        call) holds now: Python beat's view of the table
"""
import json
import os
import sys

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'django_settings')
os.environ.setdefault('DJANGO_TEST_APPS', 'django_celery_beat')

import django  # noqa: E402

django.setup()

from celery import Celery  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_celery_beat.models import (CrontabSchedule, IntervalSchedule,  # noqa: E402
                                       PeriodicTask, SolarSchedule)
from django_celery_beat.schedulers import DatabaseScheduler  # noqa: E402

app = Celery('django_beat_test', broker='memory://')
app.conf.update(timezone='UTC', result_expires=None)
scheduler = None


def schedule_of(command):
    if 'every' in command:
        interval, _ = IntervalSchedule.objects.get_or_create(every=command['every'], period='seconds')
        return {'interval': interval, 'crontab': None, 'solar': None}
    if 'crontab' in command:
        crontab, _ = CrontabSchedule.objects.get_or_create(**command['crontab'])
        return {'interval': None, 'crontab': crontab, 'solar': None}
    solar, _ = SolarSchedule.objects.get_or_create(**command['solar'])
    return {'interval': None, 'crontab': None, 'solar': solar}


def save(command):
    task = PeriodicTask.objects.filter(name=command['name']).first() or PeriodicTask(name=command['name'])
    task.task = command.get('task', task.task)
    if any(kind in command for kind in ('every', 'crontab', 'solar')):
        for field, value in schedule_of(command).items():
            setattr(task, field, value)
    if 'args' in command:
        task.args = json.dumps(command['args'])
    if 'enabled' in command:
        task.enabled = command['enabled']
    task.save()
    return {'id': task.id}


def entries():
    global scheduler
    if scheduler is None:
        scheduler = DatabaseScheduler(app=app, lazy=True)
        # The first read loads the table; the marker's time is only taken at
        # the next poll, which a running beat makes within its first tick.
        scheduler.schedule  # noqa: B018
        scheduler.schedule  # noqa: B018
    return {
        name: {'task': entry.task, 'args': entry.args, 'kwargs': entry.kwargs, 'options': entry.options,
               'schedule': repr(entry.schedule), 'total_run_count': entry.total_run_count}
        for name, entry in scheduler.schedule.items()
    }


def handle(command):
    op = command['op']
    if op == 'migrate':
        call_command('migrate', 'django_celery_beat', verbosity=0)
        return {}
    if op == 'save':
        return save(command)
    if op == 'update':
        return {'updated': PeriodicTask.objects.filter(name=command['name']).update(**command['fields'])}
    if op == 'delete':
        PeriodicTask.objects.filter(name=command['name']).delete()
        return {}
    if op == 'schedule':
        return {'entries': entries()}
    raise ValueError(f'unknown op {op}')


for line in sys.stdin:
    try:
        answer = handle(json.loads(line))
    except Exception as error:  # the test shows what Django said
        answer = {'error': f'{type(error).__name__}: {error}'}
    print(json.dumps(answer, default=str), flush=True)
