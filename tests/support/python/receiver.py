"""Celery's own EventReceiver and State, as `celery events` and Flower use them.

  python3 receiver.py <task id> <worker hostname>
      with BROKER_URL set: prints READY on stderr once listening (with the
      heartbeat wake-up broadcast), HEARTBEAT when that worker answers it (a
      heartbeat with freq 5; other workers on the broker answer too), stops
      once the task succeeded, and prints the workers and tasks State made
      of the events as JSON
"""
import json
import os
import sys

from celery import Celery
from celery.events.state import State

target, worker = sys.argv[1], sys.argv[2]
app = Celery(broker=os.environ['BROKER_URL'])
state = State()


def on_event(event):
    state.event(event)
    if event.get('type') == 'worker-heartbeat' and event.get('freq') == 5 and event.get('hostname') == worker:
        print('HEARTBEAT', file=sys.stderr, flush=True)
    if event.get('type') == 'task-succeeded' and event.get('uuid') == target:
        receiver.should_stop = True


with app.connection() as conn:
    receiver = app.events.Receiver(conn, handlers={'*': on_event})
    print('READY', file=sys.stderr, flush=True)
    receiver.capture(limit=None, timeout=20, wakeup=True)
print(json.dumps({
    'workers': {h: {'alive': w.alive, 'sw_ident': w.sw_ident, 'freq': w.freq, 'processed': w.processed} for h, w in state.workers.items()},
    'tasks': {u: {'state': t.state, 'name': t.name, 'result': t.result, 'args': t.args, 'worker': t.worker.hostname if t.worker else None}
              for u, t in state.tasks.items()},
}))
