// prisma-celery serve as a process: it says where it listens (the monitor
// and /metrics) in the CLI's log format, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { LOG_LINE } from '../support/log-line.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describeEachDatabase('prisma-celery serve', (testDb) => {
  it('logs in the one format and answers on the URL it names', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--database-url', testDb.url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the monitor to listen', () => stderr.includes('Monitor on '));
      const url = / INFO  serve +Monitor on (http:\S+) /.exec(stderr)?.[1] ?? '';
      expect((await fetch(url)).status).toBe(200);
      expect(stderr).toContain(`Prometheus metrics on ${url}metrics`);
      const metrics = await fetch(`${url}metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^# TYPE celery_tasks gauge$/m);
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    // The scrape asked the broker (of BROKER_URL, or the default) for the queues' depths: its connection may say it closed.
    const own = lines.map((line) => line.slice(25)).filter((line) => !/^INFO  serve +connection to \S+ closed$/.test(line));
    expect(own).toEqual([
      expect.stringMatching(/^INFO  serve +Monitor on /),
      expect.stringMatching(/^INFO  serve +Prometheus metrics on http:\S+\/metrics$/),
      'INFO  serve    SIGTERM: stopping',
    ]);
    for (const line of lines) expect(line).toMatch(LOG_LINE);
  });
});
