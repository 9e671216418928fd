// A TCP forwarder to put in front of a database or RabbitMQ, so a test can
// make the server "go away" and come back without touching the server.
import { connect, createServer, type Server, type Socket } from 'node:net';
import Sqlite from 'better-sqlite3';
import { parseDatabaseUrl } from '../../src/db/url.js';
import type { TestDatabase } from './databases.js';

/**
 * Forwards a local port to a server; cut() drops every connection and
 * refuses new ones until restore(); blackhole() keeps connections open but
 * drops what the server sends (a partition that loses packets: the client
 * hears nothing, not even a reset) until heal().
 */
export class TcpProxy {
  #server: Server | null = null;
  #blackhole = false;
  readonly #sockets = new Set<Socket>();
  port = 0;

  /**
   * `serverFilter`, if given, makes for each connection a function through
   * which everything the server sends passes (what it returns goes on).
   */
  constructor(
    private readonly host: string,
    private readonly targetPort: number,
    private readonly serverFilter?: () => (chunk: Buffer) => Buffer,
  ) {}

  /** Listens on 127.0.0.1 (a free port the first time, the same port after); resolves to the port. */
  async listen(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      const filter = this.serverFilter?.() ?? ((chunk: Buffer) => chunk);
      upstream.on('data', (chunk: Buffer) => {
        const passed = filter(chunk);
        if (!this.#blackhole && passed.length > 0) client.write(passed);
      });
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
    return this.port;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  blackhole(): void {
    this.#blackhole = true;
  }

  heal(): void {
    this.#blackhole = false;
  }

  /** Listens again on the same port; does nothing if not cut. */
  async restore(): Promise<void> {
    if (this.#server === null) await this.listen();
  }
}

/** Makes a test database unreachable for whatever connects through `url`, and back. */
export interface Outage {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

export async function databaseOutage(testDb: Pick<TestDatabase, 'url'>): Promise<Outage> {
  const target = parseDatabaseUrl(testDb.url);
  if (target.provider === 'sqlite') {
    // A file cannot be unplugged; a writer that keeps the lock stops every other writer.
    let holder: Sqlite.Database | null = null;
    return {
      url: testDb.url,
      async cut() {
        holder = new Sqlite(target.file);
        holder.exec('BEGIN IMMEDIATE');
      },
      async restore() {
        holder?.exec('ROLLBACK');
        holder?.close();
        holder = null;
      },
    };
  }
  const url = new URL(testDb.url);
  const proxy = new TcpProxy(url.hostname, Number(url.port || (target.provider === 'postgresql' ? 5432 : 3306)));
  url.port = String(await proxy.listen());
  return { url: url.toString(), cut: () => proxy.cut(), restore: () => proxy.restore() };
}
