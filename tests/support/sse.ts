// A text/event-stream client over fetch, as a browser's EventSource reads
// one: events (name and data) and comments, in order, and how the stream ended.

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** 'ended' when the server completed the response; the error when it broke. */
  readonly ended: Promise<'ended' | Error>;
  readonly #abort: AbortController;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  private constructor(response: Response, abort: AbortController) {
    this.#abort = abort;
    this.#reader = response.body!.getReader();
    this.ended = this.#read();
  }

  /** Reads a stream the test got without HTTP (straight from a handler or a feed). */
  static of(response: Response): SseReader {
    return new SseReader(response, new AbortController());
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) throw new Error(`GET ${url} answered ${type}`);
    return new SseReader(response, abort);
  }

  /** The events named `name` so far. */
  named(name: string): SseEvent[] {
    return this.events.filter((event) => event.event === name);
  }

  close(): void {
    this.#abort.abort();
    void this.#reader.cancel().catch(() => {});
  }

  async #read(): Promise<'ended' | Error> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.#block(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      return 'ended';
    } catch (error) {
      return error as Error;
    }
  }

  #block(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) this.events.push({ event, data: data.join('\n') });
  }
}
