/** The README's quick starts (indicators, backtests) run as written (from the repository root, importing the built package). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('README quick start', () => {
  it('runs as written and prints the shape, a value and a variant key', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /## Quick start\n\n```js\n([\s\S]*?)```/.exec(readme);
    expect(m, 'README has a js quick-start block').not.toBeNull();
    const dir = mkdtempSync(join(root, '.quickstart-'));
    try {
      const file = join(dir, 'quick.mjs');
      writeFileSync(file, m![1]!);
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', env: { ...process.env, GRIDTA_ENV: 'test' } })
        .trim()
        .split('\n');
      expect(out[0]).toBe('[ 5550, 392 ]');
      expect(Number(out[1])).toBeGreaterThan(0);
      expect(out[2]).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README backtest quick start', () => {
  it('runs as written and prints the variants, the best params, its trades and the report row', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /## Backtests\n[\s\S]*?### Quick start\n\n```js\n([\s\S]*?)```/.exec(readme);
    expect(m, 'README has a js block under Backtests / Quick start').not.toBeNull();
    const dir = mkdtempSync(join(root, '.quickstart-'));
    try {
      const file = join(dir, 'backtest.mjs');
      writeFileSync(file, m![1]!);
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', env: { ...process.env, GRIDTA_ENV: 'test' } })
        .trim()
        .split('\n');
      expect(out[0]).toBe('1590 1590');
      expect(out[1]).toBe("{ ma: 'ma.ema', source: 'close', fast: 28, slow: 165 }");
      expect(out[2]).toBe('17 true');
      expect(out[3]).toMatch(/^\| 1 \| [0-9a-f]{12} \| ma\.ema \| close \| 28 \| 165 \| 1004\.18% \| 11\.54% \| 0\.698 \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README streaming example', () => {
  it('runs as written: a stream from a CSV history, a push and an update, a snapshot that continues exactly', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /## Streaming\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
    expect(m, 'README has a js block under Streaming').not.toBeNull();
    const dir = mkdtempSync(join(root, '.quickstart-'));
    try {
      const file = join(dir, 'stream.mjs');
      writeFileSync(file, m![1]!);
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', env: { ...process.env, GRIDTA_ENV: 'test' } })
        .trim()
        .split('\n');
      expect(out).toEqual(['196 5551 true', 'true']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
