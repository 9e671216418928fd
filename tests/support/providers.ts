import { providers, type Provider } from '../../src/db/url.js';

/** The databases this run covers: TEST_DBS=sqlite,postgresql,mysql (default: all). */
export function selectedProviders(): Provider[] {
  const raw = process.env.TEST_DBS;
  if (!raw) return [...providers];
  const chosen = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = chosen.filter((p) => !(providers as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`TEST_DBS: unknown database(s) ${unknown.join(', ')}; use ${providers.join(', ')}`);
  return chosen as Provider[];
}
