import { describe, expect, it } from 'vitest';
import { defineCommand, UsageError } from '../../src/cli/command.js';
import { flagOptions, parseCommandLine } from '../../src/cli/flags.js';
import { commandHelp } from '../../src/cli/help.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { setting } from '../../src/config/setting.js';
import { databaseUrl } from '../../src/config/settings.js';
import { types } from '../../src/config/types.js';

// A boolean and a bounded setting, as later commands (beat, cam) will have.
const watch = setting({
  key: 'watch',
  flag: 'watch',
  env: 'WATCH',
  type: types.boolean(),
  default: true,
  description: 'Pick up schedule edits while running',
});
const freq = setting({
  key: 'freq',
  flag: 'freq',
  env: 'CAMERA_FREQ',
  type: types.duration({ min: 0.1 }),
  default: '1s',
  description: 'How often the camera writes a snapshot',
});
const settings = [databaseUrl, watch, freq] as const;
const options = flagOptions(settings);

describe('parseCommandLine', () => {
  it('reads boolean flags and their --no- form, and feeds the resolver', () => {
    const line = parseCommandLine(['run', '--no-watch', '--freq=500ms'], options);
    expect(line).toEqual({ flags: { watch: false, freq: '500ms' }, positionals: ['run'] });
    expect(resolveSettings(settings, { flags: line.flags, env: { WATCH: 'yes' }, cwd: '/app' })).toEqual({
      databaseUrl: 'file:/app/prisma-celery.db',
      watch: false,
      freq: 0.5,
    });
  });

  it('throws a UsageError naming the flag for an unknown one, short or negated', () => {
    for (const [args, flag] of [
      [['-x'], '-x'],
      [['--watch', '--colour'], '--colour'],
      [['--no-freq'], '--no-freq'],
    ] as const) {
      expect(() => parseCommandLine(args, options)).toThrow(new UsageError(`unknown option ${flag}`));
    }
  });

  it('throws a UsageError when a flag lacks its value or a boolean is given one', () => {
    expect(() => parseCommandLine(['--freq'], options)).toThrow(UsageError);
    expect(() => parseCommandLine(['--watch=no'], options)).toThrow(UsageError);
  });
});

describe('commandHelp', () => {
  it('shows boolean flags with their --no- form and durations as written', () => {
    const help = commandHelp(
      defineCommand({ usage: 'cam [options]', description: 'Camera.', settings, run: () => Promise.resolve(0) }),
    );
    expect(help).toContain('  --watch, --no-watch\n      Pick up schedule edits while running\n      env WATCH, config "watch", default true\n');
    expect(help).toContain('  --freq <duration>\n');
    expect(help).toContain('env CAMERA_FREQ, config "freq", default 1s\n');
  });
});
