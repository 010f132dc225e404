/**
 * `gridta bench` end to end on a small series: the JSON document carries every number, the rows
 * the spec lists, the agreement verdicts, and --plot writes an SVG chart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runBench, recommendThreads, type BenchCaseResult } from '../../bench/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gridta-bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gridta bench --json', () => {
  it('reports gridta, plain and peer rows with ratios and agreement, and writes the plot', async () => {
    const plot = join(dir, 'bench.svg');
    let stdout = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      stdout += String(s);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await runBench([
        '--size',
        '6000',
        '--cases',
        'ma.ema,volatility.bbands',
        '--peers',
        'indicatorts,technicalindicators',
        '--threads',
        '1',
        '--time',
        '10',
        '--json',
        '--plot',
        plot,
      ]);
      expect(code).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const doc = JSON.parse(stdout) as { header: Record<string, unknown>; cases: BenchCaseResult[]; peakRssMiB: number };
    expect(doc.header).toMatchObject({ t: 6000, seed: 20261129, node: process.version });
    expect(doc.header.cpus, 'the header names the CPU count').toBeGreaterThan(0);
    expect(doc.cases.map((c) => c.id)).toEqual(['ma.ema', 'volatility.bbands']);
    const ema = doc.cases[0]!;
    const libs = ema.rows.map((r) => r.library);
    expect(libs).toEqual(
      expect.arrayContaining([
        'gridta wasm-simd 1 thread (reused output)',
        'gridta wasm-scalar 1 thread (reused output)',
        'gridta wasm-simd 1 thread (fresh output)',
        'plain JS loop (reused output)',
        'plain JS loop (fresh output)',
      ]),
    );
    for (const r of ema.rows) {
      expect(r.p50Ms, `${r.library} p50`).toBeGreaterThan(0);
      expect(r.valuesPerSec, `${r.library} values/s = T x variants timed / p50`).toBeCloseTo(
        (6000 * r.variantsTimed) / (r.p50Ms / 1000),
        0,
      );
      expect(r.vsPlain).not.toBeNull();
    }
    expect(ema.rows.find((r) => r.family === 'gridta')!.agreement!.status).toBe('bit-identical');
    expect(ema.rows.find((r) => r.family === 'plain')!.agreement!.status).toBe('bit-identical');
    const peer = ema.rows.find((r) => r.library.startsWith('indicatorts'))!;
    expect(peer.agreement!.status, JSON.stringify(peer.agreement)).toBe('agrees');
    const bb = doc.cases[1]!.rows.find((r) => r.library.startsWith('indicatorts'))!;
    expect(bb.variantsTimed, 'indicatorts bb() has a fixed multiplier of 2: at most the 41 mult-2 variants').toBeLessThanOrEqual(41);
    expect(bb.notes.join(' ')).toMatch(/fixed multiplier/);
    expect(doc.peakRssMiB).toBeGreaterThan(0);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('ma.ema');
    expect(svg).toContain('log scale');
  });
});

describe('thread recommendation', () => {
  it('picks the smallest count within 5% of the best p50', () => {
    expect(recommendThreads({ 1: 100, 2: 52, 4: 50 }, 8)).toBe(2);
    expect(recommendThreads({ 1: 100, 2: 98 }, 8)).toBe(1);
  });
  it('never recommends more threads than available CPUs', () => {
    expect(recommendThreads({ 1: 100, 2: 60, 4: 30 }, 2)).toBe(2);
  });
});
