/**
 * A program restricted to chosen variants (in the given order), reading only the series they use:
 * what a replay of a shortlist needs, without the series of every other variant.
 */
import type { AtomSide, SeriesRequest, StrategyProgram } from './program.js';

export function subProgram(program: StrategyProgram, variants: readonly number[]): StrategyProgram {
  const remap = new Map<number, number>();
  const series: SeriesRequest[] = [];
  const seriesOf = (k: number): number => {
    let m = remap.get(k);
    if (m === undefined) {
      m = series.length;
      remap.set(k, m);
      series.push(program.series[k]!);
    }
    return m;
  };
  const side = (s: AtomSide): AtomSide =>
    s.kind === 'series'
      ? { kind: 'series', lag: s.lag, series: Int32Array.from(variants, (v) => seriesOf(s.series[v]!)) }
      : { kind: 'const', value: Float64Array.from(variants, (v) => s.value[v]!) };
  const atoms = program.atoms.map((a) => ({ cmp: a.cmp, left: side(a.left), right: side(a.right) }));
  return {
    ...program,
    variants: variants.length,
    cartesianIndex: Float64Array.from(variants, (v) => program.cartesianIndex[v]!),
    series,
    atoms,
  };
}
