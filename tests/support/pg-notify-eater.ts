// A PostgreSQL forwarder that passes everything but notifications: what a
// client sees behind PgBouncer in transaction mode, where LISTEN is accepted
// and nothing ever arrives.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class NotifyEater {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free 127.0.0.1 port; resolves to the port. */
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
      // Server messages are a type byte and a 32-bit length (which counts itself); 'A' is a NotificationResponse.
      let pending = Buffer.alloc(0);
      upstream.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        const kept: Buffer[] = [];
        while (pending.length >= 5) {
          const size = 1 + pending.readInt32BE(1);
          if (pending.length < size) break;
          if (pending[0] !== 0x41) kept.push(pending.subarray(0, size));
          pending = pending.subarray(size);
        }
        if (kept.length > 0) client.write(Buffer.concat(kept));
      });
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
