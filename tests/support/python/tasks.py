"""The Celery app a real Python worker runs in the interoperability tests.

The broker comes from CELERY_BROKER_URL and the result backend, if any, from
CELERY_RESULT_BACKEND (Celery reads both itself); without a backend the tests
read outcomes from events, tables or the worker's log. Task names are given
in full so TypeScript code can send them by name.
"""
import time

from celery import Celery

app = Celery('prisma_celery_tests')
# JSON is already Celery 5's serializer for tasks, results and events. The
# rest matches the worker the fixtures were captured from, so a test sees
# the fields and timings the captures show.
app.conf.update(enable_utc=True, timezone='UTC', worker_prefetch_multiplier=1)


@app.task(name='tasks.add')
def add(x, y):
    return x + y


@app.task(name='tasks.echo', bind=True)
def echo(self, *args, **kwargs):
    """What the worker read from the message: its arguments and request fields."""
    request = self.request
    fields = ('id', 'root_id', 'parent_id', 'retries', 'eta', 'expires', 'hostname',
              'delivery_info', 'reply_to', 'correlation_id', 'timelimit', 'origin')
    return {'args': list(args), 'kwargs': kwargs, **{f: getattr(request, f, None) for f in fields}}


@app.task(name='tasks.fail')
def fail(message='boom'):
    raise ValueError(message)


@app.task(name='tasks.retry_once', bind=True)
def retry_once(self, value=1):
    if self.request.retries == 0:
        raise self.retry(countdown=1, exc=RuntimeError('first attempt fails'))
    return value


@app.task(name='tasks.slow')
def slow(seconds=2.0):
    time.sleep(float(seconds))
    return seconds
