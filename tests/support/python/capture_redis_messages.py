"""Records what Python Celery 5.2.6 (kombu's Redis transport) writes to Redis.

  python3 capture_redis_messages.py redis://127.0.0.1:6379/<db> > task-messages.json

The database must be empty: the script refuses otherwise, and empties it
again after each case. Each case publishes on a connection of its own, so
kombu's per-connection declaration cache starts empty and every case shows
its own binding (SADD). After each case every key of the database is read:
lists in full (LRANGE, newest first, as LPUSH leaves them) and sets sorted.

Cases with an explicit exchange first bind queues to it on the same
connection, as a worker's declaration would; kombu looks an exchange's type
up in the connection's own declarations, so a client that never declared
the exchange treats it as direct. `exchange_unbound` publishes to an
exchange no queue is bound to: kombu 5.2.4 keeps nothing (no
deadletter_queue is set), which the record shows as no list at all.
"""
import json
import sys
from datetime import datetime, timezone

import redis
from kombu import Exchange, Queue

from tasks import app


def binding(connection, queue, exchange, exchange_type, routing_key):
    Queue(queue, Exchange(exchange, type=exchange_type), routing_key=routing_key)(connection.default_channel).declare()


CASES = [
    # (case, call as Python source, send_task keyword arguments, bindings to declare first)
    ('default_queue', "send_task('tasks.add', args=(2, 3))", {'args': (2, 3)}, []),
    ('named_queue', "send_task('tasks.add', args=(2, 3), kwargs={'z': 1}, queue='capq', priority=5, expires=60)",
     {'args': (2, 3), 'kwargs': {'z': 1}, 'queue': 'capq', 'priority': 5, 'expires': 60}, []),
    ('queue_no_priority', "send_task('tasks.add', args=(1, 1), queue='capq')", {'args': (1, 1), 'queue': 'capq'}, []),
    ('priority_0', "send_task('tasks.add', args=(1, 2), priority=0)", {'args': (1, 2), 'priority': 0}, []),
    ('priority_2', "send_task('tasks.add', args=(1, 2), priority=2)", {'args': (1, 2), 'priority': 2}, []),
    ('priority_3', "send_task('tasks.add', args=(1, 2), priority=3)", {'args': (1, 2), 'priority': 3}, []),
    ('priority_5', "send_task('tasks.add', args=(1, 2), priority=5)", {'args': (1, 2), 'priority': 5}, []),
    ('priority_7', "send_task('tasks.add', args=(1, 2), priority=7)", {'args': (1, 2), 'priority': 7}, []),
    ('priority_9', "send_task('tasks.add', args=(1, 2), priority=9)", {'args': (1, 2), 'priority': 9}, []),
    ('priority_255', "send_task('tasks.add', args=(1, 2), priority=255)", {'args': (1, 2), 'priority': 255}, []),
    ('queue_priority_9', "send_task('tasks.add', args=(1, 2), queue='capq', priority=9)",
     {'args': (1, 2), 'queue': 'capq', 'priority': 9}, []),
    ('expires_seconds', "send_task('tasks.add', args=(2, 3), expires=120)", {'args': (2, 3), 'expires': 120}, []),
    ('countdown', "send_task('tasks.add', args=(2, 3), countdown=30)", {'args': (2, 3), 'countdown': 30}, []),
    ('eta_aware_utc', "send_task('tasks.add', args=(2, 3), eta=datetime(2030, 1, 2, 3, 4, 5, 678901, timezone.utc))",
     {'args': (2, 3), 'eta': datetime(2030, 1, 2, 3, 4, 5, 678901, timezone.utc)}, []),
    ('kwargs_non_ascii', "send_task('tasks.echo', args=('h\\u00e9', '\\u65e5\\u672c'), kwargs={'name': 'Z\\u00fcrich \\U0001f600', 'n': [1, 2.5, None, True]})",
     {'args': ('h\u00e9', '\u65e5\u672c'), 'kwargs': {'name': 'Z\u00fcrich \U0001f600', 'n': [1, 2.5, None, True]}}, []),
    ('time_limits', "send_task('tasks.add', args=(2, 3), time_limit=60, soft_time_limit=30)",
     {'args': (2, 3), 'time_limit': 60, 'soft_time_limit': 30}, []),
    ('direct_exchange', "send_task('tasks.add', args=(4, 5), exchange='dx', routing_key='dkey')",
     {'args': (4, 5), 'exchange': 'dx', 'routing_key': 'dkey'}, [('dq', 'dx', 'direct', 'dkey')]),
    ('topic_exchange', "send_task('tasks.add', args=(6, 7), exchange='tx', routing_key='jobs.add.fast')",
     {'args': (6, 7), 'exchange': 'tx', 'routing_key': 'jobs.add.fast'},
     [('tq', 'tx', 'topic', 'jobs.#'), ('tq2', 'tx', 'topic', 'jobs.*'), ('tq3', 'tx', 'topic', 'other.#')]),
    ('exchange_unbound', "send_task('tasks.add', args=(8, 9), exchange='nobody', routing_key='nokey')",
     {'args': (8, 9), 'exchange': 'nobody', 'routing_key': 'nokey'}, []),
]


def read_all(client):
    keys = {}
    for key in sorted(client.scan_iter(count=1000)):
        kind = client.type(key).decode()
        name = key.decode('utf-8')
        if kind == 'list':
            keys[name] = {'type': 'list', 'items': [item.decode('utf-8') for item in client.lrange(key, 0, -1)]}
        elif kind == 'set':
            keys[name] = {'type': 'set', 'members': sorted(m.decode('utf-8') for m in client.smembers(key))}
        else:
            keys[name] = {'type': kind}
    return keys


def main(url):
    client = redis.Redis.from_url(url)
    if client.dbsize():
        sys.exit(f'{url} is not empty; give an empty database')
    app.conf.broker_url = url
    records = []
    for case, call, options, bindings in CASES:
        with app.connection_for_write() as connection:
            for queue, exchange, exchange_type, routing_key in bindings:
                binding(connection, queue, exchange, exchange_type, routing_key)
            declared = read_all(client)
            task = 'tasks.echo' if case == 'kwargs_non_ascii' else 'tasks.add'
            task_id = app.send_task(task, connection=connection, **options).id
        records.append({'case': case, 'python': call, 'task_id': task_id, 'declared_before': declared, 'keys': read_all(client)})
        client.flushdb()
    json.dump({'kombu': '5.2.4', 'celery': '5.2.6', 'redis_server': client.info()['redis_version'], 'records': records},
              sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1])
