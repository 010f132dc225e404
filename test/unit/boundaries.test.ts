/** Module boundaries (which folder may import which): a forbidden import edge fails this test. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [
    ...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

const RULES: { dir: string; forbidden: RegExp[]; why: string }[] = [
  { dir: 'assembly', forbidden: [/^\.\.\//, /^node:/], why: 'kernels import only assembly/' },
  {
    dir: 'src/registry',
    forbidden: [/^node:/, /\/(runtime|compute|candles|arrow|cli)\//, /^(yaml|piscina|apache-arrow)$/],
    why: 'registry is pure',
  },
  { dir: 'src/reference', forbidden: [/^node:/, /\/(runtime|compute|candles|arrow|cli)\//], why: 'reference is pure' },
  {
    dir: 'src/grid',
    forbidden: [/^node:(?!crypto)/, /\/(runtime|compute|candles|arrow|cli)\//, /^(yaml|piscina|apache-arrow)$/],
    why: 'grid is pure (node:crypto allowed)',
  },
  { dir: 'src/guards', forbidden: [/^node:/, /\/(runtime|compute|candles|arrow|cli)\//], why: 'guards are pure' },
  {
    dir: 'src/candles',
    forbidden: [/\/(runtime|compute|arrow|cli)\//, /^(piscina|apache-arrow|yaml)$/],
    why: 'candles: pure modules and node:fs only',
  },
  {
    dir: 'src/compute',
    forbidden: [/\/(runtime|arrow|cli)\//, /^(piscina|apache-arrow|yaml)$/],
    why: 'compute: no config, no pool, no arrow',
  },
  { dir: 'src/arrow', forbidden: [/\/(runtime|cli)\//], why: 'arrow: no runtime' },
  {
    dir: 'src/runtime',
    forbidden: [/\/cli\//, /bench\//, /\/jobs\//, /^(pg|pg-boss|prom-client)$/],
    why: 'runtime: no cli or bench, no jobs or PostgreSQL',
  },
  { dir: 'src/jobs', forbidden: [/\/cli\//, /bench\//], why: 'jobs: no cli or bench' },
  { dir: 'src/util', forbidden: [/^(?!\.\/)/], why: 'util imports nothing outside itself (no node:*): the pure modules use it' },
];

// Only the jobs layer (and the CLI on top) may talk to PostgreSQL: without a DSN nothing loads pg.
const DB = [/^(pg|pg-boss|prom-client)$/, /\/jobs\//];
describe.each(['src/registry', 'src/reference', 'src/grid', 'src/guards', 'src/candles', 'src/compute', 'src/arrow'])('%s', (dir) => {
  it('never imports the jobs layer, pg, pg-boss or prom-client', () => {
    const offenders = files(join(root, dir)).flatMap((f) =>
      imports(f)
        .filter((s) => DB.some((re) => re.test(s)))
        .map((s) => `${relative(root, f)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});

// The bench uses the library, never the other way: no file under src/ imports a module under bench/
// (`gridta bench` loads the bench's own entry, bench/cli.ts, by a path computed at run time).
describe('src/', () => {
  it('never imports bench/', () => {
    const bench = join(root, 'bench') + sep;
    const offenders = files(join(root, 'src')).flatMap((f) =>
      imports(f)
        .filter((s) => s.startsWith('.') && resolve(dirname(f), s).startsWith(bench))
        .map((s) => `${relative(root, f)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('src/options.ts', () => {
  it('imports nothing: the unknown-key helper is shared by every layer', () => {
    expect(imports(join(root, 'src', 'options.ts'))).toEqual([]);
  });
});

describe('the public entry', () => {
  it('loads neither the jobs layer nor a PostgreSQL client (they are gridta/jobs)', () => {
    expect(imports(join(root, 'src', 'index.ts')).filter((s) => DB.some((re) => re.test(s)))).toEqual([]);
  });
});

describe.each(RULES)('$dir', ({ dir, forbidden, why }) => {
  it(`respects the boundary: ${why}`, () => {
    const offenders: string[] = [];
    for (const f of files(join(root, dir))) {
      for (const spec of imports(f)) if (forbidden.some((re) => re.test(spec))) offenders.push(`${relative(root, f)} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });
});
