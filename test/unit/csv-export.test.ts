import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GridValidationError } from '../../src/errors.js';
import { decimalReadsBackAsFloat32, shortestFloat32, writeTensorCsv } from '../../src/arrow/csv.js';
import { BBANDS_AXES, bits, makeTensor } from './tensor-fixture.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridta-csv-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const f32FromBits = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;
const readBack = (s: string): number => Math.fround(Number(s));

describe('shortestFloat32', () => {
  it('writes float32(0.1) as 0.1, not its double expansion 0.10000000149011612', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe('0.1');
    expect(shortestFloat32(0.1)).toBe('0.1');
    expect(shortestFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(shortestFloat32(Math.fround(0.3))).toBe('0.3');
  });

  it('writes 16777217 (not a float32) as the float32 it rounds to, 16777216', () => {
    expect(shortestFloat32(16777217)).toBe('16777216');
    expect(shortestFloat32(16777218)).toBe('16777218');
    expect(shortestFloat32(16777216)).toBe('16777216');
  });

  it('writes the smallest subnormal as 1e-45 and the largest float32 as 3.4028235e+38', () => {
    expect(shortestFloat32(1e-45)).toBe('1e-45');
    expect(shortestFloat32(f32FromBits(1))).toBe('1e-45');
    expect(shortestFloat32(f32FromBits(3))).toBe('4e-45');
    expect(shortestFloat32(f32FromBits(999))).toBe('1.4e-42');
    expect(shortestFloat32(f32FromBits(1000))).toBe('1.401e-42');
    expect(shortestFloat32(f32FromBits(0x7f7fffff))).toBe('3.4028235e+38');
    expect(shortestFloat32(f32FromBits(0x00800000))).toBe('1.1754944e-38');
  });

  it('writes -0 as -0, 0 as 0, NaN as NaN and infinities by name', () => {
    expect(shortestFloat32(-0)).toBe('-0');
    expect(shortestFloat32(0)).toBe('0');
    expect(shortestFloat32(NaN)).toBe('NaN');
    expect(shortestFloat32(f32FromBits(0x7fc00001))).toBe('NaN');
    expect(shortestFloat32(Infinity)).toBe('Infinity');
    expect(shortestFloat32(-Infinity)).toBe('-Infinity');
    expect(shortestFloat32(1e39)).toBe('Infinity');
  });

  it('writes integers, negatives and large and small magnitudes like JavaScript numbers', () => {
    expect(shortestFloat32(100)).toBe('100');
    expect(shortestFloat32(-1.5)).toBe('-1.5');
    expect(shortestFloat32(1e10)).toBe('10000000000');
    expect(shortestFloat32(Math.fround(1e21))).toBe('1e+21');
    expect(shortestFloat32(Math.fround(9.999999e-8))).toBe('9.999999e-8');
  });

  it('picks the even digits when x lies exactly halfway between two shortest decimals', () => {
    // 224.453125 is a float32, halfway between 224.45312 and 224.45313.
    expect(shortestFloat32(224.453125)).toBe('224.45312');
    expect(shortestFloat32(-177.140625)).toBe('-177.14062');
  });

  it("agrees with numpy's shortest float32 repr on sampled bit patterns", () => {
    const cases: [number, string][] = [
      [847237120, '1.4890247e-8'],
      [3544248384, '-828664450000'],
      [3637121024, '-1777360500000000'],
      [1731538944, '8.556338e+23'],
      [40194048, '1.6847222e-37'],
      [4100091960, '-7.176118e+31'],
      [1292015616, '136937470'],
      [1522308096, '26540012000000000'],
      [588600384, '8.095147e-18'],
      [744325120, '3.1477043e-12'],
      [4228784192, '-2.951841e+36'],
      [3977849856, '-2.962775e+27'],
    ];
    for (const [b, want] of cases) expect(shortestFloat32(f32FromBits(b)), `bits ${b}`).toBe(want);
  });

  it('round-trips every sampled float32 bit-exactly with at most 9 significant digits', () => {
    let seed = 987654321;
    const next = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const x = f32FromBits(next());
      if (!Number.isFinite(x)) continue;
      const s = shortestFloat32(x);
      expect(bits(readBack(s)), `${x} -> ${s}`).toBe(bits(x));
      expect(s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('never chooses a decimal that C and JavaScript readers would read as different float32s', () => {
    // 585052973e13 reads through a double as exactly the midpoint between two float32s: JavaScript
    // rounds it to the even one (…448525023e21), strtof to the nearer odd one (…30011474976e21).
    const viaDouble = Math.fround(585052973e13);
    expect(viaDouble).toBe(5.850529448525023e21);
    expect(decimalReadsBackAsFloat32(585052973, 13, viaDouble)).toBe(false);
    expect(decimalReadsBackAsFloat32(585052973, 13, 5.850530011474976e21)).toBe(false);
    // An exact tie is read the same way by both (ties to even).
    expect(decimalReadsBackAsFloat32(16777217, 0, 16777216)).toBe(true);
    expect(decimalReadsBackAsFloat32(16777217, 0, 16777218)).toBe(false);
    expect(decimalReadsBackAsFloat32(1, -1, Math.fround(0.1))).toBe(true);
  });
});

describe('writeTensorCsv', () => {
  const SMA_CSV = `${[
    'ts_open,variant,source,window,value',
    '1700000000000,0,open,20,0.25',
    '1700000060000,0,open,20,1.25',
    '1700000120000,0,open,20,2.25',
    '1700000000000,1,open,10,NaN',
    '1700000060000,1,open,10,11.25',
    '1700000120000,1,open,10,12.25',
    '1700000000000,2,close,20,20.25',
    '1700000060000,2,close,20,21.25',
    '1700000120000,2,close,20,22.25',
    '1700000000000,3,close,10,30.25',
    '1700000060000,3,close,10,31.25',
    '1700000120000,3,close,10,32.25',
  ].join('\n')}\n`;

  it('writes the long-table columns, variant-major rows, integer ms and NaN as NaN', async () => {
    const path = join(dir, 'sma.csv');
    const r = await writeTensorCsv(makeTensor({ layout: 'TIME_MAJOR' }), path);
    expect(readFileSync(path, 'utf8')).toBe(SMA_CSV);
    expect(r).toEqual({ rows: 12, bytes: Buffer.byteLength(SMA_CSV) });
    expect(statSync(path).size).toBe(r.bytes);
  });

  it('writes the same bytes from a VARIANT_MAJOR tensor', async () => {
    const path = join(dir, 'sma-vm.csv');
    await writeTensorCsv(makeTensor({ layout: 'VARIANT_MAJOR' }), path);
    expect(readFileSync(path, 'utf8')).toBe(SMA_CSV);
  });

  it('formats float axes as in the variant key and writes every output, primary first', async () => {
    const path = join(dir, 'bbands.csv');
    const tensor = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES });
    await writeTensorCsv(tensor, path, { variants: [5, 0], includeVariantKey: true });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('ts_open,variant,mult,source,window,basis,upper,lower,variant_key');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe(`1700000000000,5,2.0,close,20,50.25,150.25,250.25,${tensor.variantKey(5)}`);
    expect(lines[4]).toBe(`1700000000000,0,1.5,close,10,0.25,100.25,200.25,${tensor.variantKey(0)}`);
    expect(tensor.variantKey(5)).toBe('6da4adea9b5a0b5a3d5a1c3c5f1025d0c293bf9210289d3c931af21bd2b24d48');
  });

  it('writes only the requested outputs, in tensor order, for a variant range', async () => {
    const path = join(dir, 'bbands-sub.csv');
    await writeTensorCsv(makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, layout: 'VARIANT_MAJOR' }), path, {
      outputs: ['lower', 'basis'],
      variants: { start: 1, end: 2 },
    });
    expect(readFileSync(path, 'utf8')).toBe(
      `${[
        'ts_open,variant,mult,source,window,basis,lower',
        '1700000000000,1,1.5,close,20,NaN,NaN',
        '1700000060000,1,1.5,close,20,11.25,211.25',
        '1700000120000,1,1.5,close,20,12.25,212.25',
      ].join('\n')}\n`,
    );
  });

  it('round-trips float32 values bit-exactly, including -0, subnormals and extremes', async () => {
    let seed = 42;
    const next = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    const special = [NaN, -0, 0, f32FromBits(1), f32FromBits(0x7f7fffff), Math.fround(0.1), 16777216, -f32FromBits(0x00800000)];
    const T = 50;
    const value = (_k: number, t: number, v: number): number => {
      const i = t * 4 + v;
      if (i < special.length) return special[i]!;
      const x = f32FromBits(next());
      return Number.isFinite(x) ? x : 1.5;
    };
    const tensor = makeTensor({ layout: 'TIME_MAJOR', t: T, value });
    const path = join(dir, 'roundtrip.csv');
    await writeTensorCsv(tensor, path);
    const rows = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(rows).toHaveLength(T * 4);
    for (let v = 0; v < 4; v++) {
      for (let t = 0; t < T; t++) {
        const cell = rows[v * T + t]![4]!;
        expect(bits(readBack(cell)), `(t ${t}, v ${v}) ${cell}`).toBe(bits(tensor.get(t, v)));
      }
    }
    expect(rows[0]![4]).toBe('NaN');
    expect(rows[T]![4]).toBe('-0');
  });

  it('rejects bad options with GridValidationError and creates no file', async () => {
    const path = join(dir, 'bad.csv');
    const err = await writeTensorCsv(makeTensor(), path, { outputs: ['upper'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GridValidationError);
    expect((err as GridValidationError).details).toMatchObject({ field: 'outputs', reason: 'unknown_output', value: 'upper' });
    await expect(writeTensorCsv(makeTensor(), path, { variants: [9] })).rejects.toMatchObject({
      details: { field: 'variants[0]', reason: 'above_max' },
    });
    expect(existsSync(path)).toBe(false);
  });

  it('streams in bounded memory, so the in-memory export guard does not apply', async () => {
    const path = join(dir, 'unguarded.csv');
    expect((await writeTensorCsv(makeTensor({ maxComputeBytesTotal: 1 }), path)).rows).toBe(12);
  });

  it('replaces an existing file whole and leaves no temporary file behind', async () => {
    const sub = mkdtempSync(join(dir, 'replace-'));
    const path = join(sub, 'out.csv');
    writeFileSync(path, 'old contents that are longer than nothing\n'.repeat(100));
    await writeTensorCsv(makeTensor(), path);
    expect(readFileSync(path, 'utf8')).toBe(SMA_CSV);
    expect(readdirSync(sub)).toEqual(['out.csv']);
  });

  it('rejects when the directory does not exist and creates nothing', async () => {
    const path = join(dir, 'missing-dir', 'x.csv');
    await expect(writeTensorCsv(makeTensor(), path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(join(dir, 'missing-dir'))).toBe(false);
  });

  it('never exposes a partial file: the target is absent or complete while a large write runs', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'big.csv');
    const axes = [
      { name: 'source', kind: 'source' as const, values: ['close'] },
      { name: 'window', kind: 'int' as const, values: Array.from({ length: 40 }, (_, i) => i + 2) },
    ];
    const tensor = makeTensor({ axes, t: 2000, value: (_k, t, v) => Math.fround(v + t / 7) });
    let done = false;
    const writing = writeTensorCsv(tensor, path).finally(() => {
      done = true;
    });
    const seen: number[] = [];
    let sawTemp = false;
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (readdirSync(sub).some((n) => n.endsWith('.tmp'))) sawTemp = true;
      if (existsSync(path)) seen.push(statSync(path).size);
    }
    const { bytes, rows } = await writing;
    expect(rows).toBe(80_000);
    expect(bytes).toBeGreaterThan(1 << 20);
    expect(sawTemp).toBe(true);
    expect(seen.every((size) => size === bytes)).toBe(true);
    expect(readdirSync(sub)).toEqual(['big.csv']);
    expect(readFileSync(path, 'utf8').split('\n')[80_000]).toBe(`1700119940000,39,close,41,${shortestFloat32(Math.fround(39 + 1999 / 7))}`);
  });
});
