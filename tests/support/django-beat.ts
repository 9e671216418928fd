// Django with django-celery-beat (Debian's packages) on a test's database:
// one Python process that takes JSON commands a line and answers each with
// a line (tests/support/python/django_beat.py), so migrating, ORM edits and
// Python's DatabaseScheduler cost one interpreter start per suite.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './services.js';

const DIR = fileURLToPath(new URL('./python/', import.meta.url));

/** Null when Python can run Django with django-celery-beat on all three databases, else what to install. */
export function missingDjangoBeat(): string | null {
  const ok = spawnSync(PYTHON, ['-c', 'import django, django_celery_beat, ephem, psycopg2, MySQLdb'], { stdio: 'ignore' }).status === 0;
  return ok
    ? null
    : `${PYTHON} cannot import Django with django-celery-beat; install them with: apt-get install -y python3-django python3-django-celery-beat python3-ephem python3-psycopg2 python3-mysqldb`;
}

export class DjangoBeat implements AsyncDisposable {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  #stderr = '';

  constructor(databaseUrl: string) {
    this.#child = spawn(PYTHON, ['django_beat.py'], {
      cwd: DIR,
      env: { ...process.env, DJANGO_TEST_DATABASE_URL: databaseUrl, PYTHONDONTWRITEBYTECODE: '1' },
    });
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.resolve(line));
    this.#child.on('exit', (code) => {
      for (const { reject } of this.#waiting.splice(0)) reject(new Error(`django_beat.py exited (${code}): ${this.#stderr}`));
    });
  }

  /** Sends one command; resolves to Python's answer, rejects with Django's error. */
  async send<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    const line = await new Promise<string>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    });
    const answer = JSON.parse(line) as T & { error?: string };
    if (answer.error !== undefined) throw new Error(`Django: ${answer.error}`);
    return answer;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#lines.close();
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}
