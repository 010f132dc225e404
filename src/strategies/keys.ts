/**
 * Strategy keys: one per kept variant, the lower-case hex SHA-256 of a canonical JSON payload
 *
 *   {"v":1,"kind":"strategy","instrument":…,"timeframe":…,"strategy":…,"params":{…},"execution":{…}}
 *
 * and, when the operand series are computed in a profile other than the default, a last member
 * `"profile":…` (a default-profile key has none, so it never changes).
 *
 * written with the variant key's rules (no whitespace; strings as JSON.stringify writes them; int
 * values plain, float values in the variant-key float notation, decided by the param's kind, so a
 * float 2 is `2.0`). Top-level members and the execution members appear in the order written here;
 * `params` lists every strategy param sorted by name. `strategy` is a template's id, or a custom
 * strategy's canonical body `{"id":"custom","rules":{…}}`: the rules with defaults filled in and keys
 * sorted. The grid and the constraints are left out of the body, as a template's key leaves out its
 * grid: they choose which variants exist, not what a variant does.
 */
import type { Execution, StrategyProgram } from '../backtest/program.js';
import { checkExecution } from '../backtest/options.js';
import { formatFloatV1, hashPayloadV1 } from '../grid/keys.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';
import { normalizeTimeframe, TIMEFRAME_MS } from '../grid/timeframe.js';
import { variantParams } from './compile.js';
import { canonicalJson, oneOf, strategyFail } from './validate.js';

/** The execution member of a key: the options as engine.backtest validates them, in their fixed order. */
function executionJson(e: Execution): string {
  const x = checkExecution(e);
  const ann = x.annualization === null ? 'null' : formatFloatV1(x.annualization);
  return `{"side":${JSON.stringify(x.side)},"fill":${JSON.stringify(x.fill)},"fee_bps":${formatFloatV1(x.fee_bps)},"slippage_bps":${formatFloatV1(x.slippage_bps)},"annualization":${ann}}`;
}

/** The canonical payload of kept variant `v`'s strategy key (for logs and tests). */
export function strategyKeyPayload(
  program: StrategyProgram,
  v: number,
  instrumentId: string,
  timeframe: string,
  execution: Execution,
  profile: Profile = DEFAULT_PROFILE,
): string {
  if (typeof instrumentId !== 'string' || instrumentId.trim() === '')
    strategyFail('instrument', instrumentId ?? null, 'a non-blank string');
  const tf = normalizeTimeframe(timeframe);
  if (tf === null) strategyFail('timeframe', timeframe ?? null, oneOf(timeframe, Object.keys(TIMEFRAME_MS)));
  if (!(PROFILES as readonly unknown[]).includes(profile)) strategyFail('profile', profile ?? null, oneOf(profile, PROFILES));
  const values = variantParams(program, v);
  const kinds = new Map(program.axes.map((a) => [a.name, a.kind]));
  const params = Object.keys(values)
    .sort()
    .map((name) => {
      const x = values[name]!;
      const kind = kinds.get(name);
      const text = kind === 'float' ? formatFloatV1(x as number) : kind === 'int' ? String(x) : JSON.stringify(x);
      return `${JSON.stringify(name)}:${text}`;
    })
    .join(',');
  const body = typeof program.keyBody === 'string' ? JSON.stringify(program.keyBody) : canonicalJson(program.keyBody);
  const p = profile === DEFAULT_PROFILE ? '' : `,"profile":${JSON.stringify(profile)}`;
  return `{"v":1,"kind":"strategy","instrument":${JSON.stringify(instrumentId.trim())},"timeframe":${JSON.stringify(tf)},"strategy":${body},"params":{${params}},"execution":${executionJson(execution)}${p}}`;
}

/** The strategy key of kept variant `v`: 64 lower-case hex characters. */
export function strategyKey(
  program: StrategyProgram,
  v: number,
  instrumentId: string,
  timeframe: string,
  execution: Execution,
  profile: Profile = DEFAULT_PROFILE,
): string {
  return hashPayloadV1(strategyKeyPayload(program, v, instrumentId, timeframe, execution, profile));
}
