/** asconfig.json (for people running asc by hand) and the runtime's programmatic flags must agree. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TARGET_FLAGS } from '../../src/runtime/cache.js';

const asconfig = JSON.parse(readFileSync(fileURLToPath(new URL('../../asconfig.json', import.meta.url)), 'utf8')) as {
  targets: Record<string, Record<string, unknown>>;
  options: Record<string, unknown>;
};

/** asconfig options → the set of `--flag value` tokens asc would receive. */
function flagsOf(target: string): string[] {
  const o = { ...asconfig.options, ...asconfig.targets[target] };
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'outFile' || k === 'sourceMap' || k === 'debug') continue;
    if (k === 'enable' || k === 'disable') for (const f of v as string[]) out.push(`--${k} ${f}`);
    else if (v === true) out.push(`--${k}`);
    else out.push(`--${k} ${String(v)}`);
  }
  return out.sort();
}

function tokens(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const next = flags[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.push(`${f} ${next}`);
      i++;
    } else out.push(f);
  }
  return out.sort();
}

describe('asconfig.json', () => {
  it('release target equals the runtime simd flags', () => {
    expect(flagsOf('release')).toEqual(tokens(TARGET_FLAGS.simd));
  });
  it('scalar target equals the runtime scalar flags', () => {
    expect(flagsOf('scalar')).toEqual(tokens(TARGET_FLAGS.scalar));
  });
  it('never enables relaxed SIMD', () => {
    expect(JSON.stringify(asconfig)).not.toMatch(/relaxed/);
    expect(TARGET_FLAGS.simd.join(' ')).not.toMatch(/relaxed/);
  });
});

describe('kernel chunk and tile lengths', () => {
  it.each([
    ['CHUNK', 'KERNEL_CHUNK'],
    ['TILE', 'KERNEL_TILE'],
  ] as const)('%s is the same in assembly/lanes.ts and the registry (%s, which sizes scratch)', async (name, registryName) => {
    const types = await import('../../src/registry/types.js');
    const lanes = readFileSync(fileURLToPath(new URL('../../assembly/lanes.ts', import.meta.url)), 'utf8');
    const m = new RegExp(`export const ${name}: i32 = (\\d+);`).exec(lanes);
    expect(m, `assembly/lanes.ts declares ${name}`).not.toBeNull();
    expect(Number(m![1])).toBe(types[registryName]);
  });
});
