import type { Command } from '../command.js';

export interface CommandEntry {
  readonly name: string;
  /** One line for `prisma-celery --help`. */
  readonly summary: string;
  // Loaded only when run or asked for its help, so `prisma-celery --help`
  // and one command never pay for the others' imports (Prisma, amqplib).
  readonly load: () => Promise<Command>;
}

/**
 * Every command, in the order `prisma-celery --help` lists them. A new
 * command is a module in this folder exporting a defineCommand(...) and one
 * entry here; beat, cam, cleanup, schedule and serve join as they are built.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'migrate',
    summary: "Apply prisma-celery's migrations to the database, or show which are pending",
    load: async () => (await import('./migrate.js')).migrate,
  },
  { name: 'cam', summary: "Snapshot camera: keep workers' and tasks' state from the Celery event stream in the tables", load: async () => (await import('./cam.js')).cam },
  { name: 'beat', summary: 'Send the periodic tasks in the database to the broker when they are due (Celery beat)', load: async () => (await import('./beat.js')).beat },
  { name: 'schedule', summary: 'Periodic tasks from the shell: next runs of a crontab or interval; add, list, enable, disable, remove', load: async () => (await import('./schedule.js')).schedule },
  { name: 'serve', summary: 'Serve the monitor page and the JSON views (task status, apply) over HTTP', load: async () => (await import('./serve.js')).serve },
  { name: 'control', summary: 'Celery remote control: revoke tasks, turn events on or off, set rate limits, shut workers down, ping', load: async () => (await import('./control.js')).control },
  { name: 'inspect', summary: "Ask the workers: running, waiting and scheduled tasks, registered names, stats, queues", load: async () => (await import('./inspect.js')).inspect },
  { name: 'worker', summary: 'Run a Celery worker on celery-node: your task modules, results in the tables, events and remote control', load: async () => (await import('./worker.js')).worker },
  { name: 'cleanup', summary: 'Expire old task results and groups: hide them, then delete them in batches', load: async () => (await import('./cleanup.js')).cleanup },
];
