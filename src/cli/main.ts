#!/usr/bin/env node
import { runCli } from './run.js';

// exitCode rather than exit(): lets stdout drain when piped.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
// A failed command has said its one line; a driver still resolving a host or
// holding a socket after a failed connect must not keep the shell waiting.
if (process.exitCode !== 0) setTimeout(() => process.exit(), 1000).unref();
