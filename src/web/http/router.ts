/**
 * A small path router: a pattern with `:name` segments per route, the
 * longest-standing answer codes (404 no route, 405 wrong method), and every
 * thrown HttpError turned into its JSON answer.
 */
import { HttpError, json, jsonError } from './responses.js';

export type Params = Readonly<Record<string, string>>;
export type RouteHandler = (request: Request, params: Params) => Response | Promise<Response>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: RouteHandler;
}

/** `/tasks/:id/status` → a RegExp matching one path segment per `:name`. */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

export class Router {
  readonly #routes: Route[] = [];

  add(method: string, path: string, handler: RouteHandler): this {
    this.#routes.push({ method, ...compile(path), handler });
    return this;
  }

  /** Answers `path` (already without the mount prefix), or null when no route has it. */
  async dispatch(request: Request, path: string): Promise<Response | null> {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
      } catch {
        return jsonError(400, 'the path is not valid percent-encoding');
      }
      try {
        return await route.handler(request, params);
      } catch (error) {
        if (error instanceof HttpError) return error.toResponse();
        throw error;
      }
    }
    if (allowed.length === 0) return null;
    return json({ error: `${request.method} is not allowed here` }, 405, { allow: [...new Set(allowed)].join(', ') });
  }
}
