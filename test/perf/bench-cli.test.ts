/**
 * `gridta bench` end to end on a small series: the JSON document carries every number, the rows
 * the spec lists, the agreement verdicts, and --plot writes an SVG chart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BacktestCaseResult, BacktestRow } from '../../bench/backtest.js';
import { runBench, recommendThreads, type BenchCaseResult } from '../../bench/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gridta-bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `gridta bench` with its stdout captured (its progress on stderr dropped); the exit code and the output. */
async function benchOutput(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await runBench(args), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('gridta bench --json', () => {
  it('reports gridta, plain and peer rows with ratios and agreement, and writes the plot', async () => {
    const plot = join(dir, 'bench.svg');
    const { code, stdout } = await benchOutput([
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
    const doc = JSON.parse(stdout) as { header: Record<string, unknown>; cases: BenchCaseResult[]; peakRssMiB: number };
    expect(doc.header).toMatchObject({ t: 6000, seed: 20261129, node: process.version, run: 'custom run' });
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

describe('gridta bench --json, backtest cases', () => {
  /** backtest.ma_cross alone on 3,000 bars, no peers, 10 ms rows, at the given thread counts. */
  const maCross = (threads: string): string[] => [
    '--size',
    '3000',
    '--cases',
    'backtest.ma_cross',
    '--peers',
    'none',
    '--threads',
    threads,
    '--time',
    '10',
  ];

  it('times engine.backtest and the plain loop after their metrics agree, and runs no indicator case', async () => {
    const { code, stdout } = await benchOutput([...maCross('1'), '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { cases: BenchCaseResult[]; backtests: BacktestCaseResult[]; peakRssMiB: number };
    expect(doc.cases, 'only the backtest case was selected').toEqual([]);
    expect(doc.backtests.map((b) => b.id)).toEqual(['backtest.ma_cross']);
    const bt = doc.backtests[0]!;
    expect(bt).toMatchObject({ strategy: 'ma_cross', variants: 1590, t: 3000, execution: 'side long, fill next_open, fee 5 bps' });
    expect(bt.agreement.status, JSON.stringify(bt.agreement)).toBe('agrees');
    expect(bt.agreement.compared).toBe(1590 * 12);
    expect(bt.rows.map((r) => `${r.family}/${r.part}`)).toEqual(['gridta/whole', 'gridta/stage-a', 'plain/whole', 'plain/loop']);
    const [gWhole, gStageA, pWhole, pLoop] = bt.rows as [BacktestRow, BacktestRow, BacktestRow, BacktestRow];
    for (const r of bt.rows) {
      expect(r.samples, `${r.library}: one of each order at least`).toBeGreaterThanOrEqual(2);
      expect(r.samplesMs).toHaveLength(r.samples);
      expect(r.p50Ms, `${r.library} p50`).toBeGreaterThan(0);
      expect(r.variantBarsPerSec, `${r.library} variant-bars/s = V x T / p50`).toBeCloseTo((1590 * 3000) / (r.p50Ms / 1000), 0);
    }
    expect(gStageA.p50Ms, 'Stage A is part of the whole call').toBeLessThanOrEqual(gWhole.p50Ms);
    expect(pLoop.p50Ms, 'the loop is part of the whole plain call').toBeLessThanOrEqual(pWhole.p50Ms);
    expect(gWhole.vsPlain).toBeCloseTo(pWhole.p50Ms / gWhole.p50Ms, 6);
    expect(gStageA.vsPlain).toBeCloseTo(pLoop.p50Ms / gStageA.p50Ms, 6);
    expect(pWhole.vsPlain).toBe(1);
    expect(gWhole.rssAfterCallMiB).toBeGreaterThan(0);
    expect(bt.peakRssMiB).toBeGreaterThanOrEqual(gWhole.rssAfterCallMiB);
    expect([gWhole.threads, gStageA.threads]).toEqual([1, 1]);
    expect(bt.stageAThreadsP50).toEqual({ 1: gStageA.p50Ms });
  });

  it('with --threads 1,2 times engine.backtest at each thread count, its metrics bit-identical across them', async () => {
    const { code, stdout } = await benchOutput(maCross('1,2'));
    expect(code).toBe(0);
    expect(stdout).toContain('gridta engine.backtest wasm-simd 2 threads (series + Stage A)');
    expect(stdout).toContain('gridta Stage A alone, 2 threads (result.stats)');
    expect(stdout).toMatch(
      /Stage A by threads \(metrics bit-identical across them\): 1: [\d.]+ ms, 2: [\d.]+ ms \(2 threads [\d.]+× over 1\)/,
    );
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
