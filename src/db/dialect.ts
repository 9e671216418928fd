import type { Provider } from './url.js';

/** What raw SQL needs to know about a provider. Pure. */
export interface Dialect {
  readonly provider: Provider;
  /** The placeholder of the n-th (1-based) parameter. */
  param(n: number): string;
  /** A quoted identifier (`key` and such are reserved on MySQL). */
  ident(name: string): string;
}

const dialects: Record<Provider, Dialect> = {
  sqlite: { provider: 'sqlite', param: () => '?', ident: (name) => `"${name}"` },
  postgresql: { provider: 'postgresql', param: (n) => `$${n}`, ident: (name) => `"${name}"` },
  mysql: { provider: 'mysql', param: () => '?', ident: (name) => `\`${name}\`` },
};

export const dialectOf = (provider: Provider): Dialect => dialects[provider];
