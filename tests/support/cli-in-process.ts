// The command line run in this process, its output captured: for tests of
// what a command prints and exits with, without a process start per case.
import { runCli } from '../../src/cli/run.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: options.env ?? {},
    cwd: options.cwd ?? '/',
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
