import { brokerUrl, controlDestination, jsonOutput, controlTimeout, logLevel, revokeSignal, revokeTerminate } from '../../config/settings.js';
import { defineCommand, UsageError } from '../command.js';
import { answerText, callOptions, expectArgs, printGathered, withControl } from '../remote-control.js';

const ACTIONS = ['revoke', 'enable-events', 'disable-events', 'rate-limit', 'shutdown', 'ping'] as const;
const ANSWERS = { header: ['WORKER', 'ANSWER'], rows: (host: string, reply: unknown) => [[host, answerText(reply as never)]] };

export const control = defineCommand({
  usage: 'control <revoke|enable-events|disable-events|rate-limit|shutdown|ping> [args] [options]',
  description:
    'Celery remote control (celery control): broadcasts a command to the workers on --broker, or to --destination ' +
    'only, and prints each answer. Python workers and prisma-celery workers answer alike.',
  actions: {
    revoke: 'revoke ID… [--terminate [--signal SIGKILL]]: workers skip these tasks; --terminate also kills a running one',
    'enable-events': 'Workers start sending task events (what the camera and the monitor read)',
    'disable-events': 'Workers stop sending task events',
    'rate-limit': 'rate-limit TASK RATE: at most RATE runs of TASK per worker, e.g. 10/m, 5/s, 100/h',
    shutdown: 'Workers finish their running tasks and exit (they do not answer)',
    ping: 'Each worker answers pong',
  },
  settings: [brokerUrl, controlDestination, controlTimeout, jsonOutput, revokeTerminate, revokeSignal, logLevel],

  async run({ positionals, settings, out, err, check }) {
    const [action, ...args] = positionals;
    const io = { out, err };
    const options = callOptions(settings);
    switch (action) {
      case 'revoke':
        if (args.length === 0) throw new UsageError('usage: prisma-celery control revoke ID… [--terminate] [--signal SIGKILL]');
        return withControl(check, settings, async (c) =>
          printGathered(await c.revoke(args, { ...options, terminate: settings.revokeTerminate, signal: settings.revokeSignal }), settings, io, ANSWERS),
        );
      case 'enable-events':
      case 'disable-events':
      case 'ping':
        expectArgs(args, 0, 0, `control ${action}`);
        return withControl(check, settings, async (c) => {
          const call = action === 'ping' ? c.ping(options) : action === 'enable-events' ? c.enableEvents(options) : c.disableEvents(options);
          return printGathered(await call, settings, io, ANSWERS);
        });
      case 'rate-limit': {
        expectArgs(args, 2, 2, 'control rate-limit TASK RATE');
        const [task, rate] = args as [string, string];
        if (!/^\d+(\.\d+)?(\/[smh])?$/.test(rate)) throw new UsageError(`rate "${rate}" is not a rate: use a number per second, or N/s, N/m, N/h (e.g. 10/m)`);
        return withControl(check, settings, async (c) => printGathered(await c.rateLimit(task, rate, options), settings, io, ANSWERS));
      }
      case 'shutdown':
        expectArgs(args, 0, 0, 'control shutdown');
        return withControl(check, settings, async (c) => {
          await c.shutdown(options);
          if (settings.jsonOutput) out('{}');
          else out(`shutdown sent to ${settings.controlDestination?.join(', ') ?? 'every worker'}`);
          return 0;
        });
      default:
        throw new UsageError(
          action === undefined
            ? `control needs a command: ${ACTIONS.join(', ')}`
            : `unknown control command "${action}" (use ${ACTIONS.join(', ')}; to read workers' state use prisma-celery inspect)`,
        );
    }
  },
});
