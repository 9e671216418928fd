"""A Python Celery client for the tests, one action per run.

  python3 client.py send '{"task": ..., "args": [...], "kwargs": {...}, "options": {...}}'
      publishes the task with send_task (options as apply_async takes them)
      and prints its id
  python3 client.py revoke '{"task_id": ..., "terminate": false}'
      broadcasts a revoke, as app.control.revoke does
"""
import json
import sys

from tasks import app


def send(task, args=(), kwargs=None, options=None):
    print(app.send_task(task, args=list(args), kwargs=kwargs or {}, **(options or {})).id)


def revoke(task_id, terminate=False):
    app.control.revoke(task_id, terminate=terminate)


if __name__ == '__main__':
    action, request = sys.argv[1], json.loads(sys.argv[2])
    {'send': send, 'revoke': revoke}[action](**request)
