"""A Python Celery client for the tests, one action per run.

  python3 client.py send '{"task": ..., "args": [...], "kwargs": {...}, "options": {...}}'
      publishes the task with send_task (options as apply_async takes them)
      and prints its id
  python3 client.py revoke '{"task_id": ..., "terminate": false}'
      broadcasts a revoke, as app.control.revoke does
  python3 client.py bind '{"queue": ..., "exchange": ..., "exchange_type": "topic", "routing_key": ...}'
      declares the queue bound to the exchange, as a worker consuming it would
  python3 client.py revoke-each '{"terminate": false}'
      connects, prints ok, then broadcasts a revoke for each task id read
      from stdin (one a line) and prints ok after each: the seconds Python
      takes to start on a busy machine are spent before a revoke is due
"""
import json
import sys

from kombu import Exchange, Queue

from tasks import app


def send(task, args=(), kwargs=None, options=None):
    print(app.send_task(task, args=list(args), kwargs=kwargs or {}, **(options or {})).id)


def revoke(task_id, terminate=False):
    app.control.revoke(task_id, terminate=terminate)


def bind(queue, exchange, exchange_type, routing_key):
    with app.connection_for_write() as connection:
        Queue(queue, Exchange(exchange, type=exchange_type), routing_key=routing_key)(connection.default_channel).declare()


def revoke_each(terminate=False):
    with app.connection_for_write() as connection:
        connection.ensure_connection()
        print('ok', flush=True)
        for line in sys.stdin:
            app.control.revoke(line.strip(), terminate=terminate, connection=connection)
            print('ok', flush=True)


if __name__ == '__main__':
    action, request = sys.argv[1], json.loads(sys.argv[2])
    {'send': send, 'revoke': revoke, 'bind': bind, 'revoke-each': revoke_each}[action](**request)
