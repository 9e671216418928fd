#!/usr/bin/env node
import { runCli } from './run.js';

// exitCode rather than exit(): lets stdout drain when piped.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
