"""Records Celery's remote control on the wire: each request a Python client
broadcasts and each answer a running worker sends back.

  python3 capture_control.py <broker url> <worker hostname> <worker queue> > control-commands.json

A worker must be running (`celery -A tasks worker -n <hostname> -Q <queue>
--concurrency 1`). The client's mailbox id is fixed (it is otherwise a
uuid3 of the host, pid, thread and object id), so a spy queue bound to
`reply.celery.pidbox` with that routing key receives a copy of every answer
as delivered; on Redis the spy is one more member of the
`_kombu.binding.reply.celery.pidbox` set, and the worker LPUSHes onto its
list as onto the client's. Requests are read from a spy queue bound to the
`celery.pidbox` fanout (AMQP) or a PSUBSCRIBE to its channel (Redis). On
AMQP the queue and exchange declarations the client makes are recorded; on
Redis the commands it sends (MONITOR).
"""
import json
import sys
import threading
import time

import kombu.pidbox
from kombu import Exchange, Queue

from tasks import app

OID = '0b7e5d7c-5a1e-4c55-9c41-3f7d8f0c2a11'
kombu.pidbox.Mailbox.oid = property(lambda self: OID)


def cases(control, worker, queue):
    inspect = lambda **kw: control.inspect(destination=[worker], timeout=2, **kw)  # noqa: E731
    dest = {'destination': [worker], 'reply': True, 'timeout': 2}
    slow = app.send_task('tasks.slow', args=[30], queue=queue).id
    later = app.send_task('tasks.add', args=[1, 2], queue=queue, countdown=120).id
    waiting = app.send_task('tasks.add', args=[3, 4], queue=queue).id
    time.sleep(2)
    return [
        ('ping', "app.control.ping(timeout=1)", lambda: control.ping(timeout=1)),
        ('ping_destination', "app.control.ping(destination=[w])", lambda: control.ping(destination=[worker], timeout=2)),
        ('ping_unknown_destination', "app.control.ping(destination=['nobody@nowhere'])",
         lambda: control.ping(destination=['nobody@nowhere'], timeout=1)),
        ('active', 'inspect.active()', lambda: inspect().active()),
        ('reserved', 'inspect.reserved()', lambda: inspect().reserved()),
        ('scheduled', 'inspect.scheduled()', lambda: inspect().scheduled()),
        ('registered', 'inspect.registered()', lambda: inspect().registered()),
        ('stats', 'inspect.stats()', lambda: inspect().stats()),
        ('active_queues', 'inspect.active_queues()', lambda: inspect().active_queues()),
        ('query_task', 'inspect.query_task(slow, later)', lambda: inspect().query_task(slow, later)),
        ('conf', 'inspect.conf()', lambda: inspect().conf()),
        ('rate_limit', "app.control.rate_limit('tasks.add', '10/m', reply=True)",
         lambda: control.rate_limit('tasks.add', '10/m', **dest)),
        ('registered_rate_limit', "inspect.registered('rate_limit')", lambda: inspect().registered('rate_limit')),
        ('time_limit', "app.control.time_limit('tasks.slow', soft=60, hard=120, reply=True)",
         lambda: control.time_limit('tasks.slow', soft=60, hard=120, **dest)),
        ('pool_grow', 'app.control.pool_grow(1, reply=True)', lambda: control.pool_grow(1, **dest)),
        ('pool_shrink', 'app.control.pool_shrink(1, reply=True)', lambda: control.pool_shrink(1, **dest)),
        ('autoscale', 'app.control.autoscale(4, 1, reply=True)', lambda: control.autoscale(4, 1, **dest)),
        ('add_consumer', "app.control.add_consumer('capture-extra', reply=True)",
         lambda: control.add_consumer('capture-extra', **dest)),
        ('cancel_consumer', "app.control.cancel_consumer('capture-extra', reply=True)",
         lambda: control.cancel_consumer('capture-extra', **dest)),
        ('disable_events', 'app.control.disable_events(reply=True)', lambda: control.disable_events(**dest)),
        ('enable_events', 'app.control.enable_events(reply=True)', lambda: control.enable_events(**dest)),
        ('unknown_command', "app.control.broadcast('no_such_command', reply=True)",
         lambda: control.broadcast('no_such_command', **dest)),
        ('revoke_terminate', "app.control.revoke(slow, terminate=True, signal='SIGKILL', reply=True)",
         lambda: control.revoke(slow, terminate=True, signal='SIGKILL', **dest)),
        ('revoke_many', 'app.control.revoke([later, waiting], reply=True)', lambda: control.revoke([later, waiting], **dest)),
        ('revoked', 'inspect.revoked()', lambda: inspect().revoked()),
        ('shutdown', 'app.control.shutdown(reply=True)', lambda: control.shutdown(**dest)),
    ], {'slow': slow, 'later': later, 'waiting': waiting}


def amqp_record(message):
    props = dict(message.properties)
    props.pop('application_headers', None)
    return {
        'exchange': message.delivery_info.get('exchange'),
        'routing_key': message.delivery_info.get('routing_key'),
        'properties': props,
        'headers': message.headers,
        'body_text': message.body if isinstance(message.body, str) else message.body.decode('utf-8'),
        'body': json.loads(message.body),
    }


def capture_amqp(url, worker, queue):
    declared = []
    import amqp.channel
    for name in ('queue_declare', 'exchange_declare', 'queue_bind'):
        original = getattr(amqp.channel.Channel, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            declared.append({'call': _name, 'args': [a for a in args], 'kwargs': {k: v for k, v in kwargs.items() if k != 'nowait'}})
            return _original(self, *args, **kwargs)
        setattr(amqp.channel.Channel, name, spy)

    with app.connection_for_write() as connection:
        channel = connection.channel()
        requests = Queue('capture.requests', Exchange('celery.pidbox', type='fanout', durable=False), auto_delete=True)(channel)
        replies = Queue('capture.replies', Exchange('reply.celery.pidbox', type='direct', durable=False),
                        routing_key=OID, auto_delete=True)(channel)
        requests.declare()
        replies.declare()
        # get() never consumes, so auto-delete never drops these between runs.
        requests.purge()
        replies.purge()
        del declared[:]
        records = []
        steps, ids = cases(app.control, worker, queue)
        for case, python, run in steps:
            declared_before = len(declared)
            started = time.monotonic()
            result = run()
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            request = requests.get(no_ack=True)
            answers = []
            while (answer := replies.get(no_ack=True)) is not None:
                answers.append(amqp_record(answer))
            records.append({'case': case, 'python': python, 'returned': result, 'seconds': round(elapsed, 3),
                            'request': amqp_record(request) if request else None, 'replies': answers,
                            'declared': declared[declared_before:]})
        return records, ids


def capture_redis(url, worker, queue):
    import redis
    raw = redis.Redis.from_url(url)
    db = raw.connection_pool.connection_kwargs.get('db', 0)
    pubsub = raw.pubsub()
    pubsub.psubscribe(f'/{db}.celery.pidbox*')
    pubsub.get_message(timeout=1)
    commands = []
    stop = threading.Event()

    def monitor():
        with redis.Redis.from_url(url).monitor() as m:
            for command in m.listen():
                if stop.is_set():
                    return
                if command.get('db') == db:
                    commands.append(command['command'])
    threading.Thread(target=monitor, daemon=True).start()
    time.sleep(0.5)

    with app.connection_for_write() as connection:
        Queue('capture.replies', Exchange('reply.celery.pidbox', type='direct', durable=False),
              routing_key=OID)(connection.default_channel).declare()
        records = []
        steps, ids = cases(app.control, worker, queue)
        for case, python, run in steps:
            del commands[:]
            started = time.monotonic()
            result = run()
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            request = None
            while (message := pubsub.get_message(timeout=0.2)) is not None:
                if message['type'] == 'pmessage':
                    request = {'channel': message['channel'].decode(), 'message': message['data'].decode('utf-8')}
            answers = [{'list': 'capture.replies', 'message': item.decode('utf-8')} for item in reversed(raw.lrange('capture.replies', 0, -1))]
            raw.delete('capture.replies')
            records.append({'case': case, 'python': python, 'returned': result, 'seconds': round(elapsed, 3),
                            'request': request, 'replies': answers,
                            'commands': [c for c in commands if 'pidbox' in c and 'celeryev' not in c]})
        stop.set()
        raw.srem('_kombu.binding.reply.celery.pidbox', f'{OID}\x06\x16\x06\x16capture.replies')
        return records, ids


def main(url, worker, queue):
    capture = capture_redis if url.startswith('redis') else capture_amqp
    records, ids = capture(url, worker, queue)
    json.dump({'celery': '5.2.6', 'kombu': '5.2.4', 'worker': worker, 'client_oid': OID, 'task_ids': ids, 'records': records},
              sys.stdout, indent=1, ensure_ascii=False, default=repr)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(*sys.argv[1:4])
