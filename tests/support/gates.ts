import { describe } from 'vitest';
import { missingServices } from './services.js';

/**
 * `describe`, or `describe.skip` when the global setup found this server or
 * program missing. That happens only outside CI: under CI=true the setup
 * fails the run instead, and it prints the one-line reason either way.
 */
export const describeWhenPresent = (name: string) => (missingServices().has(name) ? describe.skip : describe);
