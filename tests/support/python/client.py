"""A Python Celery client for the tests, one action per run.

  python3 client.py send '{"task": ..., "args": [...], "kwargs": {...}, "options": {...}}'
      publishes the task with send_task (options as apply_async takes them)
      and prints its id
  python3 client.py revoke '{"task_id": ..., "terminate": false}'
      broadcasts a revoke, as app.control.revoke does
  python3 client.py bind '{"queue": ..., "exchange": ..., "exchange_type": "topic", "routing_key": ...}'
      declares the queue bound to the exchange, as a worker consuming it would
  python3 client.py results '{"task_ids": [...], "group_id": ..., "timeout": 20}'
      reads each task with AsyncResult(id).get(propagate=False), in order
      (waiting for those not ready), and the group with GroupResult.restore,
      from CELERY_RESULT_BACKEND; prints them as one JSON object
  python3 client.py revoke-each '{"terminate": false}'
      connects, prints ok, then broadcasts a revoke for each task id read
      from stdin (one a line) and prints ok after each: the seconds Python
      takes to start on a busy machine are spent before a revoke is due
"""
import json
import sys

from celery.result import GroupResult
from kombu import Exchange, Queue

from tasks import app


def send(task, args=(), kwargs=None, options=None):
    print(app.send_task(task, args=list(args), kwargs=kwargs or {}, **(options or {})).id)


def revoke(task_id, terminate=False):
    app.control.revoke(task_id, terminate=terminate)


def bind(queue, exchange, exchange_type, routing_key):
    with app.connection_for_write() as connection:
        Queue(queue, Exchange(exchange, type=exchange_type), routing_key=routing_key)(connection.default_channel).declare()


def results(task_ids=(), group_id=None, timeout=20):
    read = {}
    for task_id in task_ids:
        result = app.AsyncResult(task_id)
        value = result.get(timeout=timeout, propagate=False)
        failed = isinstance(value, BaseException)
        read[task_id] = {
            'state': result.state,
            'value': None if failed else value,
            'exc_type': type(value).__name__ if failed else None,
            'exc_args': list(value.args) if failed else None,
            'date_done': str(result.date_done),
        }
    if group_id is not None:
        group = GroupResult.restore(group_id, app=app)
        read['group'] = None if group is None else [child.id for child in group.results]
    print(json.dumps(read))


def revoke_each(terminate=False):
    with app.connection_for_write() as connection:
        connection.ensure_connection()
        print('ok', flush=True)
        for line in sys.stdin:
            app.control.revoke(line.strip(), terminate=terminate, connection=connection)
            print('ok', flush=True)


if __name__ == '__main__':
    action, request = sys.argv[1], json.loads(sys.argv[2])
    {'send': send, 'revoke': revoke, 'bind': bind, 'results': results, 'revoke-each': revoke_each}[action](**request)
