/** An unknown command or subcommand of the CLI prints the usage to stderr and exits 2, --help or not. */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRIDTA_')) env[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('unknown commands', () => {
  it.each([
    [['nope'], 'unknown command "nope"', 'usage: gridta <command>'],
    [['nope', '--help'], 'unknown command "nope"', 'usage: gridta <command>'],
    [['jobs', 'nope'], 'unknown jobs command "nope"', 'usage: gridta jobs <command>'],
    [['jobs', 'nope', '--help'], 'unknown jobs command "nope"', 'usage: gridta jobs <command>'],
    [['jobs', 'nope', '-h'], 'unknown jobs command "nope"', 'usage: gridta jobs <command>'],
    [['cache', 'nope', '--help'], 'unknown cache subcommand "nope"', 'usage: gridta'],
  ])('gridta %j exits 2 with the usage on stderr', (args, said, usage) => {
    const r = cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(said);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe('');
  });

  it('gridta jobs --help and gridta jobs submit --help still print the jobs usage and exit 0', () => {
    for (const args of [
      ['jobs', '--help'],
      ['jobs', 'submit', '--help'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('usage: gridta jobs <command>');
    }
  });
});
