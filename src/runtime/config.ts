/**
 * Configuration: which YAML file, the `compute` settings, precedence
 * option > environment > YAML > default, validation with one ConfigError per bad value, available
 * parallelism and the warnings resolution raises. Resolution is synchronous and reads the file once;
 * the parsed document is returned so the grid defaults can be validated without reading it again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError, formatValue } from '../errors.js';
import { closestNames, findUnknownKey, isPlainObject, keyList, suggestKey, unknownKeyExplanation, type UnknownKey } from '../options.js';
import { deepFreeze, errnoOf, isMapping } from '../util/index.js';
import { availableParallelism, type CpuInfo } from './config-cpu.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';

export type { CpuInfo } from './config-cpu.js';

export type EnvName = 'dev' | 'test' | 'prod';
export type EngineSetting = 'auto' | 'wasm-simd' | 'wasm-scalar' | 'reference';
export type SettingSource = 'default' | `yaml:${string}` | `env:${string}` | 'option';

export interface Setting<T> {
  readonly value: T;
  readonly source: SettingSource;
  readonly detail?: string;
}

export interface GridtaWarning {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export interface GridtaOptions {
  /** YAML file to read instead of `configs/<env>/indicators.yaml`; relative to the working directory. */
  configPath?: string;
  env?: EnvName;
  threads?: number | 'auto';
  cacheDir?: string;
  cacheStrict?: boolean;
  maxComputeBytesTotal?: number;
  maxVariantsPerCompute?: number;
  engine?: EngineSetting;
  batchVariants?: number | 'auto';
  /** The profile of conventions computes use unless a request names one: `gridta` (default) or `talib`. */
  profile?: Profile;
  maxBatchAttempts?: number;
  batchTimeoutMs?: number;
  /** `jobs` section (scale-out on PostgreSQL): `false` makes `gridta worker` exit at once. */
  jobsEnabled?: boolean;
  /** PostgreSQL connection URL (`postgres://…`); without one gridta runs in-process only. */
  jobsDsn?: string;
  /** Schema of gridta's job tables; pg-boss keeps its own tables in `<schema>_boss`. */
  jobsSchema?: string;
  /** Lease of a claimed unit: pg-boss expires it (and retries it elsewhere) after this long. */
  jobsLeaseSeconds?: number;
  /** Retries of a unit after its first attempt (pg-boss `retryLimit`). */
  jobsRetryLimit?: number;
  /** Variants per unit of work; `auto`: about 2^23 output values per unit. */
  jobsUnitVariants?: number | 'auto';
  /** Units a worker process runs at once. */
  jobsConcurrency?: number;
  /** How often an idle worker asks the queue for work. */
  jobsPollIntervalMs?: number;
  /** Port of the worker's Prometheus endpoint (`0`: any free port), or `off`. */
  jobsMetricsPort?: number | 'off';
  /** Address the Prometheus endpoint listens on (default `127.0.0.1`, loopback only; `0.0.0.0`: every interface). */
  jobsMetricsHost?: string;
  /** Receives each distinct warning once per engine; default `process.emitWarning`. */
  onWarning?: (warning: GridtaWarning) => void;
  /** @internal Working directory for relative paths and the config lookup (default `process.cwd()`). */
  cwd?: string;
  /** @internal Stand-in for `/` when reading `/proc/self/cgroup` and `/sys/fs/cgroup` (tests). */
  cgroupRoot?: string;
  /** @internal Stand-in for `os.availableParallelism()` (tests). */
  osAvailableParallelism?: number;
}

export interface ResolvedConfig {
  readonly env: Setting<EnvName>;
  /** Absolute path of the file that was read. */
  readonly configPath: Setting<string>;
  /** As requested. */
  readonly threads: Setting<number | 'auto'>;
  /** `auto` → the available parallelism, else the requested count. */
  readonly threadsEffective: number;
  /** The OS CPU count, limited on Linux by the container CPU quota. */
  readonly availableParallelism: number;
  /** The numbers behind `availableParallelism` (diagnose prints them). */
  readonly cpu: CpuInfo;
  /** Absolute. */
  readonly cacheDir: Setting<string>;
  readonly cacheStrict: Setting<boolean>;
  readonly maxComputeBytesTotal: Setting<number>;
  readonly maxVariantsPerCompute: Setting<number>;
  /** As requested, after the GRIDTA_DISABLE_WASM / GRIDTA_DISABLE_SIMD overrides; `auto` is decided by warmup. */
  readonly engine: Setting<EngineSetting>;
  readonly batchVariants: Setting<number | 'auto'>;
  /** The profile of conventions of computes, streams and backtests that do not name one. */
  readonly profile: Setting<Profile>;
  readonly maxBatchAttempts: Setting<number>;
  readonly batchTimeoutMs: Setting<number>;
  readonly jobsEnabled: Setting<boolean>;
  /** The raw URL (with any password); `describeSettings` and errors show it redacted. */
  readonly jobsDsn: Setting<string | null>;
  readonly jobsSchema: Setting<string>;
  readonly jobsLeaseSeconds: Setting<number>;
  readonly jobsRetryLimit: Setting<number>;
  readonly jobsUnitVariants: Setting<number | 'auto'>;
  readonly jobsConcurrency: Setting<number>;
  readonly jobsPollIntervalMs: Setting<number>;
  readonly jobsMetricsPort: Setting<number | 'off'>;
  readonly jobsMetricsHost: Setting<string>;
  /** Raised while resolving; emitting them (once each) is the engine's job. */
  readonly warnings: readonly GridtaWarning[];
  /** The parsed YAML document (input of `validateDefaults`); `null` for an empty file. */
  readonly document: unknown;
}

/** One row of the diagnose `settings` list. */
export interface SettingRow {
  readonly name: string;
  readonly value: unknown;
  readonly source: SettingSource;
  readonly detail?: string;
  readonly effective?: unknown;
}

// ---------------------------------------------------------------------------------------------
// The settings table

type Layer = 'option' | 'env' | 'yaml';
type ComputeName =
  | 'threads'
  | 'cacheDir'
  | 'cacheStrict'
  | 'maxComputeBytesTotal'
  | 'maxVariantsPerCompute'
  | 'engine'
  | 'batchVariants'
  | 'profile'
  | 'maxBatchAttempts'
  | 'batchTimeoutMs';
type JobsName =
  | 'jobsEnabled'
  | 'jobsDsn'
  | 'jobsSchema'
  | 'jobsLeaseSeconds'
  | 'jobsRetryLimit'
  | 'jobsUnitVariants'
  | 'jobsConcurrency'
  | 'jobsPollIntervalMs'
  | 'jobsMetricsPort'
  | 'jobsMetricsHost';

interface Rule<T> {
  readonly name: ComputeName | JobsName;
  readonly yamlKey: string;
  /** `null`: no variable (engine's variables, GRIDTA_DISABLE_WASM / _SIMD, are overrides handled apart). */
  readonly envVar: string | null;
  readonly defaultValue: T;
  readonly expected: (layer: Layer) => string;
  /** The value, or `undefined` when `raw` is invalid for that layer. */
  readonly parse: (raw: unknown, layer: Layer) => T | undefined;
}

const ENV_TRUE = ['1', 'true', 'yes', 'on'];
const ENV_FALSE = ['0', 'false', 'no', 'off'];
const ENV_BOOLEAN = 'a boolean (1, true, yes, on, 0, false, no, off)';
const ENGINES: readonly EngineSetting[] = ['auto', 'wasm-simd', 'wasm-scalar', 'reference'];
const ENVS: readonly EnvName[] = ['dev', 'test', 'prod'];
const TOP_LEVEL_KEYS = ['schema_version', 'compute', 'defaults', 'jobs'];

/**
 * Integers: from the environment `^[0-9]+$` after trimming, from YAML or an option a number
 * with an integral value; then `min..max`. `auto` (any case) where allowed.
 */
function intRule(name: ComputeName | JobsName, yamlKey: string, envVar: string | null, def: number, min: number, max: number): Rule<number>;
function intRule(
  name: ComputeName | JobsName,
  yamlKey: string,
  envVar: string | null,
  def: 'auto',
  min: number,
  max: number,
  auto: true,
): Rule<number | 'auto'>;
function intRule(
  name: ComputeName | JobsName,
  yamlKey: string,
  envVar: string | null,
  def: 'off',
  min: number,
  max: number,
  auto: 'off',
): Rule<number | 'off'>;
function intRule(
  name: ComputeName | JobsName,
  yamlKey: string,
  envVar: string | null,
  def: number | 'auto' | 'off',
  min: number,
  max: number,
  auto: boolean | 'off' = false,
): Rule<number | 'auto' | 'off'> {
  const word = auto === 'off' ? 'off' : auto ? 'auto' : null;
  const text = `${word ? `${word} or ` : ''}an integer ${min}..${max}`;
  return {
    name,
    yamlKey,
    envVar,
    defaultValue: def,
    expected: () => text,
    parse: (raw, layer) => {
      if (word && typeof raw === 'string' && raw.trim().toLowerCase() === word) return word as 'auto' | 'off';
      if (layer === 'env') {
        const s = String(raw).trim();
        if (!/^[0-9]+$/.test(s)) return undefined;
        const n = BigInt(s);
        return n >= BigInt(min) && n <= BigInt(max) ? Number(n) : undefined;
      }
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max ? raw : undefined;
    },
  };
}

const RULES = {
  threads: intRule('threads', 'threads', 'GRIDTA_NUM_THREADS', 'auto', 1, 256, true),
  cacheDir: {
    name: 'cacheDir',
    yamlKey: 'cache_dir',
    envVar: 'GRIDTA_CACHE_DIR',
    defaultValue: 'cache',
    expected: () => 'a non-empty path (no NUL)',
    parse: (raw, layer) => {
      if (typeof raw !== 'string' || raw.trim() === '' || raw.includes('\0')) return undefined;
      return layer === 'env' ? raw.trim() : raw;
    },
  } satisfies Rule<string> as Rule<string>,
  cacheStrict: {
    name: 'cacheStrict',
    yamlKey: 'cache_strict',
    envVar: 'GRIDTA_CACHE_STRICT',
    defaultValue: false,
    expected: (layer) => (layer === 'env' ? ENV_BOOLEAN : 'true or false'),
    parse: (raw, layer) => (layer === 'env' ? envBoolean(String(raw)) : typeof raw === 'boolean' ? raw : undefined),
  } satisfies Rule<boolean> as Rule<boolean>,
  maxComputeBytesTotal: intRule(
    'maxComputeBytesTotal',
    'max_compute_bytes_total',
    'GRIDTA_MAX_COMPUTE_BYTES_TOTAL',
    5368709120,
    1,
    Number.MAX_SAFE_INTEGER,
  ),
  maxVariantsPerCompute: intRule(
    'maxVariantsPerCompute',
    'max_variants_per_compute',
    'GRIDTA_MAX_VARIANTS_PER_COMPUTE',
    600000,
    1,
    4294967295,
  ),
  engine: {
    name: 'engine',
    yamlKey: 'engine',
    envVar: null,
    defaultValue: 'auto',
    expected: () => ENGINES.join(', ').replace(/, (?=[^,]*$)/, ' or '),
    parse: (raw) => {
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim().toLowerCase();
      return (ENGINES as readonly string[]).includes(s) ? (s as EngineSetting) : undefined;
    },
  } satisfies Rule<EngineSetting> as Rule<EngineSetting>,
  batchVariants: intRule('batchVariants', 'batch_variants', null, 'auto', 1, 4294967295, true),
  profile: {
    name: 'profile',
    yamlKey: 'profile',
    envVar: 'GRIDTA_PROFILE',
    defaultValue: DEFAULT_PROFILE,
    expected: () => PROFILES.join(' or '),
    parse: (raw) => {
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim().toLowerCase();
      return (PROFILES as readonly string[]).includes(s) ? (s as Profile) : undefined;
    },
  } satisfies Rule<Profile> as Rule<Profile>,
  maxBatchAttempts: intRule('maxBatchAttempts', 'max_batch_attempts', null, 3, 1, 10),
  batchTimeoutMs: intRule('batchTimeoutMs', 'batch_timeout_ms', null, 300000, 1000, 86400000),
};

/** Connection keys whose values are secrets: password, sslpassword, passfile (any case). */
const SECRET_KEY = /pass/i;
const MASK = '***';

const decodeKey = (k: string): string => {
  try {
    return decodeURIComponent(k.replace(/\+/g, ' '));
  } catch {
    return k;
  }
};

/** Where the secrets of a connection string are: `[start, end)` spans, in order. */
function secretSpans(dsn: string): [number, number][] {
  const spans: [number, number][] = [];
  const url = /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(dsn);
  if (url) {
    const base = url[0].length;
    const rest = dsn.slice(base);
    // the authority ends at the first ? or # after its first @ (a password may hold ?, # or /)
    const firstAt = rest.indexOf('@');
    const from = Math.max(0, firstAt);
    const q = rest.slice(from).search(/[?#]/);
    const end = q < 0 ? rest.length : from + q;
    if (firstAt >= 0) {
      const at = rest.lastIndexOf('@', end);
      const colon = rest.slice(0, at).indexOf(':');
      if (colon >= 0) spans.push([base + colon + 1, base + at]);
    }
    // query parameters: key=value separated by & (or ;), up to a fragment
    const re = /[?&;]([^=&;#]*)=([^&;#]*)/g;
    re.lastIndex = end;
    for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
      if (SECRET_KEY.test(decodeKey(m[1]!))) spans.push([base + m.index + m[0].length - m[2]!.length, base + m.index + m[0].length]);
    }
    return spans;
  }
  // keyword/value: key = value, the value single-quoted (\' and \\ escapes) or a run of non-blanks
  const re = /(^|\s)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|(?:[^\s'\\]|\\.)+)/gs;
  for (let m = re.exec(dsn); m !== null; m = re.exec(dsn)) {
    if (SECRET_KEY.test(m[2]!)) spans.push([m.index + m[0].length - m[4]!.length, m.index + m[0].length]);
  }
  return spans;
}

/**
 * A PostgreSQL connection string with every secret replaced by `***`, for anything a person or a
 * log may read (diagnose, log lines, error messages and details). Handles every form libpq and pg
 * take: a URL's userinfo password (up to the last `@` of the authority, so a password holding `@`
 * or `/` is masked whole), the URL's query parameters named like a password (`password`,
 * `sslpassword`, `passfile`, any case, percent-encoded keys too), and keyword/value strings
 * (`host=db password=x`, `password = 'a b'`, escaped quotes, an unterminated quote running to the
 * end). A string that is no DSN passes through unchanged unless it has `key=value` pairs with a
 * password-like key.
 */
export function maskDsn(dsn: string): string {
  let out = '';
  let pos = 0;
  for (const [a, b] of secretSpans(dsn)) {
    out += dsn.slice(pos, a) + MASK;
    pos = b;
  }
  return out + dsn.slice(pos);
}

/**
 * `text` (an error message from the driver, say) with every secret of `dsn` taken out: the DSN
 * itself masked wherever it appears, and any literal occurrence of a secret value, raw, unquoted or
 * percent-decoded.
 */
export function maskSecretsIn(text: string, dsn: string): string {
  const secrets = new Set<string>();
  for (const [a, b] of secretSpans(dsn)) {
    const raw = dsn.slice(a, b);
    const unquoted = raw.replace(/^'|'$/g, '').replace(/\\(.)/g, '$1');
    for (const v of [raw, unquoted, decodeKey(raw), decodeKey(unquoted)]) if (v.length >= 3) secrets.add(v); // shorter ones would garble the text
  }
  let out = dsn ? text.split(dsn).join(maskDsn(dsn)) : text;
  for (const v of [...secrets].sort((x, y) => y.length - x.length)) out = out.split(v).join(MASK);
  return maskDsn(out);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

/** The `jobs` section: scale-out on PostgreSQL with pg-boss (README "Scale out"). */
const JOBS_RULES = {
  jobsEnabled: {
    name: 'jobsEnabled',
    yamlKey: 'enabled',
    envVar: 'GRIDTA_JOBS_ENABLED',
    defaultValue: true,
    expected: (layer) => (layer === 'env' ? ENV_BOOLEAN : 'true or false'),
    parse: (raw, layer) => (layer === 'env' ? envBoolean(String(raw)) : typeof raw === 'boolean' ? raw : undefined),
  } satisfies Rule<boolean> as Rule<boolean>,
  jobsDsn: {
    name: 'jobsDsn',
    yamlKey: 'dsn',
    envVar: 'GRIDTA_PG_DSN',
    defaultValue: null,
    expected: () => 'a postgres:// or postgresql:// URL',
    parse: (raw, layer) => {
      if (raw === null && layer === 'yaml') return null;
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim();
      if (!/^postgres(ql)?:\/\//i.test(s)) return undefined;
      try {
        new URL(s);
      } catch {
        return undefined;
      }
      return s;
    },
  } satisfies Rule<string | null> as Rule<string | null>,
  jobsSchema: {
    name: 'jobsSchema',
    yamlKey: 'schema',
    envVar: null,
    defaultValue: 'gridta',
    expected: () => 'a lower-case SQL identifier of at most 41 characters (letters, digits, _)',
    parse: (raw) => (typeof raw === 'string' && SCHEMA_NAME.test(raw) ? raw : undefined),
  } satisfies Rule<string> as Rule<string>,
  // pg-boss refuses expirations of 24 hours or more
  jobsLeaseSeconds: intRule('jobsLeaseSeconds', 'lease_seconds', 'GRIDTA_JOBS_LEASE_SECONDS', 900, 1, 86399),
  jobsRetryLimit: intRule('jobsRetryLimit', 'retry_limit', null, 2, 0, 100),
  jobsUnitVariants: intRule('jobsUnitVariants', 'unit_variants', null, 'auto', 1, 4294967295, true),
  jobsConcurrency: intRule('jobsConcurrency', 'concurrency', 'GRIDTA_JOBS_CONCURRENCY', 1, 1, 64),
  jobsPollIntervalMs: intRule('jobsPollIntervalMs', 'poll_interval_ms', null, 1000, 10, 60000),
  jobsMetricsPort: intRule('jobsMetricsPort', 'metrics_port', 'GRIDTA_METRICS_PORT', 'off', 0, 65535, 'off'),
  jobsMetricsHost: {
    name: 'jobsMetricsHost',
    yamlKey: 'metrics_host',
    envVar: 'GRIDTA_METRICS_HOST',
    defaultValue: '127.0.0.1',
    expected: () => 'an IP address or host name (127.0.0.1: loopback only, 0.0.0.0 or ::: every interface)',
    parse: (raw, layer) => {
      if (typeof raw !== 'string') return undefined;
      const s = layer === 'env' ? raw.trim() : raw;
      return s.length <= 253 &&
        /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/.test(
          s,
        )
        ? s
        : undefined;
    },
  } satisfies Rule<string> as Rule<string>,
};

/** The keys allowed under `jobs`, in table order. */
export const JOBS_KEYS: readonly string[] = Object.freeze(Object.values(JOBS_RULES).map((r) => r.yamlKey));

/** Built-in defaults of the `jobs` settings, by option name. */
export const JOBS_DEFAULTS = Object.freeze(
  Object.fromEntries(Object.values(JOBS_RULES).map((r) => [r.name, r.defaultValue])) as {
    readonly [K in JobsName]: ResolvedConfig[K] extends Setting<infer T> ? T : never;
  },
);

/** The keys allowed under `compute`, in the order of the settings table. */
export const COMPUTE_KEYS: readonly string[] = Object.freeze(Object.values(RULES).map((r) => r.yamlKey));

/** Built-in defaults of the `compute` settings, by option name. */
export const COMPUTE_DEFAULTS = Object.freeze(
  Object.fromEntries(Object.values(RULES).map((r) => [r.name, r.defaultValue])) as {
    readonly [K in ComputeName]: ResolvedConfig[K] extends Setting<infer T> ? T : never;
  },
);

/** Every key of GridtaOptions: the settings of both tables plus the options that are not settings. */
export const OPTION_KEYS = keyList<GridtaOptions>({
  configPath: true,
  env: true,
  threads: true,
  cacheDir: true,
  cacheStrict: true,
  maxComputeBytesTotal: true,
  maxVariantsPerCompute: true,
  engine: true,
  batchVariants: true,
  profile: true,
  maxBatchAttempts: true,
  batchTimeoutMs: true,
  jobsEnabled: true,
  jobsDsn: true,
  jobsSchema: true,
  jobsLeaseSeconds: true,
  jobsRetryLimit: true,
  jobsUnitVariants: true,
  jobsConcurrency: true,
  jobsPollIntervalMs: true,
  jobsMetricsPort: true,
  jobsMetricsHost: true,
  onWarning: true,
  cwd: true,
  cgroupRoot: true,
  osAvailableParallelism: true,
});

/**
 * Engine options as a whole: an object whose keys are all known (`extra` adds the keys a caller
 * accepts besides, such as the test-only ones) and whose `onWarning` is a function. ConfigError
 * with source `option` otherwise, naming the key and the closest known one.
 */
export function checkOptionKeys(options: unknown, where: string, extra: readonly string[] = []): void {
  if (options === undefined) return;
  checkKnownOptions(options, extra.length ? [...OPTION_KEYS, ...extra] : OPTION_KEYS, where);
  const o = options as Record<string, unknown>;
  if (o.onWarning !== undefined && typeof o.onWarning !== 'function') fail('onWarning', 'option', o.onWarning, 'a function');
}

/**
 * Any options object of the API (engine, jobs): an object whose keys are all in `known`. ConfigError
 * with source `option` naming the key (`prefix` makes it a path such as `faults.`) and the closest
 * known one. The value is not shown: a mistyped key may hold a secret (a DSN with its password).
 */
export function checkKnownOptions(options: unknown, known: readonly string[], where: string, prefix = ''): void {
  if (!isPlainObject(options)) fail(prefix ? prefix.slice(0, -1) : 'options', 'option', options, `an object (${where})`);
  const unknown = findUnknownKey(options, known);
  if (unknown) throw unknownOptionError(unknown, where, prefix);
}

function unknownOptionError(unknown: UnknownKey, where: string, prefix: string): ConfigError {
  const key = `${prefix}${unknown.key}`;
  return new ConfigError(
    { key, source: 'option', value: unknown.key, expected: `one of ${unknown.known.join(', ')}` },
    `${key}: ${unknownKeyExplanation(unknown, where)}`,
  );
}

function envBoolean(raw: string): boolean | undefined {
  const s = raw.trim().toLowerCase();
  return ENV_TRUE.includes(s) ? true : ENV_FALSE.includes(s) ? false : undefined;
}

// ---------------------------------------------------------------------------------------------
// Files

/** The nearest ancestor directory of `file` holding a package.json, or `null`. */
export function projectRootOf(file: string): string | null {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let packageRootCache: string | undefined;

/** The gridta package root (compiled code runs from `dist/src/runtime/`, sources from `src/runtime/`). */
function packageRoot(): string {
  if (packageRootCache === undefined) {
    const here = fileURLToPath(import.meta.url);
    packageRootCache = projectRootOf(here) ?? resolve(dirname(here), '..', '..');
  }
  return packageRootCache;
}

/** The copy of an environment's config shipped inside the package (used when the project has none). */
export function bundledConfigPath(env: EnvName): string {
  return join(packageRoot(), 'configs', env, 'indicators.yaml');
}

const safe = (v: unknown): unknown => {
  if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') return String(v);
  return v === undefined ? null : v;
};

function fail(key: string, source: SettingSource, value: unknown, expected: string, path?: string, message?: string): never {
  // any string may be a DSN (a misspelled key, a DSN given to the wrong setting): secrets are masked
  if (typeof value === 'string') value = maskDsn(value);
  const details = path === undefined ? { key, source, value: safe(value), expected } : { key, source, value: safe(value), expected, path };
  const where = path === undefined ? '' : ` at ${path}`;
  throw new ConfigError(details, message ?? `${key} from ${source}${where} must be ${expected} (got ${formatValue(value)})`);
}

function readDocument(file: string, pathSetting: Setting<string>, raw: unknown): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const errno = errnoOf(e);
    const what = pathSetting.detail === 'bundled' ? 'the bundled config file' : 'config file';
    fail(
      'configPath',
      pathSetting.source,
      raw,
      'a readable YAML file',
      undefined,
      `configPath from ${pathSetting.source}: cannot read ${what} ${file} (${errno})`,
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const at = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
    fail(
      'configPath',
      pathSetting.source,
      file,
      `valid YAML (${at}: ${reason})`,
      undefined,
      `configPath from ${pathSetting.source}: ${file} is not valid YAML at ${at}: ${reason}`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    fail(
      'configPath',
      pathSetting.source,
      file,
      `valid YAML (${(e as Error).message})`,
      undefined,
      `configPath from ${pathSetting.source}: ${file} is not valid YAML: ${(e as Error).message}`,
    );
  }
}

/** The closest known key within two edits (the YAML sections keep their original tolerance). */
const suggest = (name: string, candidates: readonly string[]): string | undefined => closestNames(name, candidates, 2, 1)[0];

// ---------------------------------------------------------------------------------------------
// Resolution

/** What one resolution found: the configuration and every value it rejected. */
export interface ConfigResolution {
  /**
   * The configuration with every rejected input left out, so that the next layer (or the default)
   * stands in for it: a rejected `env` reads as `dev`; an unusable config file reads as empty.
   */
  readonly config: ResolvedConfig;
  /** Every rejected value, in the order resolution meets them; `resolveConfig` throws the first. */
  readonly errors: readonly ConfigError[];
  /** The config file could not be used, or which file is meant depends on a rejected `env`: no YAML value is known. */
  readonly fileUnknown: boolean;
}

/** What the steps of one resolution share. */
interface Resolving {
  readonly options: Record<string, unknown>;
  /** An empty or all-blank variable counts as unset. */
  readonly envOf: (name: string) => string | undefined;
  readonly cwd: string;
  readonly errors: ConfigError[];
  readonly warnings: GridtaWarning[];
}

/** Runs `step`; a ConfigError it throws is recorded and `undefined` returned, so resolution goes on. */
function attempt<T>(errors: ConfigError[], step: () => T): T | undefined {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(e);
    return undefined;
  }
}

/**
 * Resolves every setting once: the file, the `compute` and `jobs` sections and the environment, threads.
 * Throws the first ConfigError `collectConfig` finds.
 */
export function resolveConfig(options: GridtaOptions = {}, environ: Record<string, string | undefined> = process.env): ResolvedConfig {
  const { config, errors } = collectConfig(options, environ);
  if (errors.length > 0) throw errors[0]!;
  return config;
}

/**
 * Resolves like `resolveConfig` but does not stop at an invalid value: every one is collected (diagnose
 * lists them all) and resolution goes on without it. Reads the config file once, writes nothing.
 */
export function collectConfig(options: GridtaOptions = {}, environ: Record<string, string | undefined> = process.env): ConfigResolution {
  const errors: ConfigError[] = [];
  const opts = optionsOf(options, errors);
  const ctx: Resolving = {
    options: opts,
    errors,
    warnings: [],
    cwd: resolve(typeof opts.cwd === 'string' ? opts.cwd : process.cwd()),
    envOf: (name) => {
      const v = environ[name];
      return v === undefined || v.trim() === '' ? undefined : v;
    },
  };
  const envSetting = attempt(errors, () => resolveEnv(ctx));
  const env: Setting<EnvName> = envSetting ?? { value: 'dev', source: 'default' };
  const file = resolveFile(ctx, envSetting);
  const fileUnknown = file.document === undefined;
  const sections = fileUnknown ? { compute: {}, jobs: {} } : yamlSections(ctx, file.document, file.configPath.value);
  const settings = resolveSettings(ctx, file.configPath, fileUnknown, sections);

  // Threads: `auto` is the available parallelism; more than that only warns (the operator may know better).
  const threads = settings.threads;
  const { cgroupRoot, osAvailableParallelism } = opts as GridtaOptions;
  const cpu = availableParallelism({ cgroupRoot, osCount: osAvailableParallelism });
  const threadsEffective = threads.value === 'auto' ? cpu.available : threads.value;
  if (threadsEffective > cpu.available) {
    ctx.warnings.push({
      code: 'GRIDTA_THREADS_EXCEED_CPUS',
      message: `threads ${threadsEffective} from ${threads.source} exceeds the available parallelism ${cpu.available}; the extra threads only add contention`,
      details: { requested: threadsEffective, source: threads.source, available: cpu.available },
    });
  }
  const config = deepFreeze({
    env,
    configPath: file.configPath,
    threadsEffective,
    availableParallelism: cpu.available,
    cpu,
    ...settings,
    warnings: ctx.warnings,
    document: file.document ?? null,
  }) as ResolvedConfig;
  return { config, errors, fileUnknown };
}

/** The options as a record; an unknown key, a non-function `onWarning` or a non-object is recorded and left out of use. */
function optionsOf(options: unknown, errors: ConfigError[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    attempt(errors, () => checkKnownOptions(options, OPTION_KEYS, 'the engine options'));
    return {};
  }
  for (const key of Object.keys(options)) {
    if (OPTION_KEYS.includes(key)) continue;
    errors.push(unknownOptionError({ key, suggestion: suggestKey(key, OPTION_KEYS), known: OPTION_KEYS }, 'the engine options', ''));
  }
  const { onWarning } = options;
  if (onWarning !== undefined && typeof onWarning !== 'function')
    attempt(errors, () => fail('onWarning', 'option', onWarning, 'a function'));
  return options;
}

/** The environment name (dev | test | prod): the option, else GRIDTA_ENV, else `dev`; only the winning layer is validated. */
function resolveEnv(ctx: Resolving): Setting<EnvName> {
  const fromOption = ctx.options.env;
  const fromEnv = ctx.envOf('GRIDTA_ENV');
  const [raw, source]: [unknown, SettingSource] =
    fromOption !== undefined ? [fromOption, 'option'] : fromEnv !== undefined ? [fromEnv, 'env:GRIDTA_ENV'] : ['dev', 'default'];
  const name = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (name === undefined || !(ENVS as readonly string[]).includes(name)) fail('env', source, raw, 'dev | test | prod');
  return { value: name as EnvName, source };
}

/**
 * The config file and its parsed document: the option, else GRIDTA_CONFIG, else
 * `configs/<env>/indicators.yaml` under the working directory, else the bundled copy. `document` is
 * `undefined` when the file cannot be used or, with `env` rejected (`undefined`), which file is meant.
 */
function resolveFile(ctx: Resolving, env: Setting<EnvName> | undefined): { configPath: Setting<string>; document: unknown } {
  const fromOption = ctx.options.configPath;
  const fromEnv = ctx.envOf('GRIDTA_CONFIG');
  let configPath: Setting<string>;
  let rawPath: unknown;
  if (fromOption !== undefined || fromEnv !== undefined) {
    const source: SettingSource = fromOption !== undefined ? 'option' : 'env:GRIDTA_CONFIG';
    rawPath = fromOption !== undefined ? fromOption : fromEnv;
    if (typeof rawPath !== 'string' || rawPath.trim() === '' || rawPath.includes('\0')) {
      attempt(ctx.errors, () => fail('configPath', source, rawPath, 'a readable YAML file'));
      return { configPath: { value: '', source }, document: undefined };
    }
    const p = source === 'option' ? rawPath : rawPath.trim();
    configPath = { value: resolve(ctx.cwd, p), source };
  } else {
    if (env === undefined) return { configPath: { value: '', source: 'default' }, document: undefined };
    const local = join(ctx.cwd, 'configs', env.value, 'indicators.yaml');
    rawPath = local;
    configPath = existsSync(local)
      ? { value: local, source: 'default' }
      : { value: bundledConfigPath(env.value), source: 'default', detail: 'bundled' };
  }
  const read = attempt(ctx.errors, () => ({ document: deepFreeze(readDocument(configPath.value, configPath, rawPath)) }));
  return { configPath, document: read?.document };
}

type Sections = { compute: Record<string, unknown>; jobs: Record<string, unknown> };

/**
 * The `compute` and `jobs` sections of the document. An unknown top-level key only warns; a section
 * that is no mapping, or a key it does not know, is rejected (and the section, or the key, ignored).
 */
function yamlSections(ctx: Resolving, document: unknown, file: string): Sections {
  if (!isMapping(document)) return { compute: {}, jobs: {} };
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      ctx.warnings.push({
        code: 'GRIDTA_CONFIG_UNKNOWN_KEY',
        message: `${file}: unknown top-level key ${JSON.stringify(key)} is ignored (known keys: ${TOP_LEVEL_KEYS.join(', ')})`,
        details: { key, configPath: file, known: [...TOP_LEVEL_KEYS] },
      });
    }
  }
  const yamlSource: SettingSource = `yaml:${file}`;
  const section = (name: 'compute' | 'jobs', known: readonly string[]): Record<string, unknown> => {
    const value = document[name];
    if (value === undefined || value === null) return {};
    if (!isMapping(value)) {
      attempt(ctx.errors, () => fail(name, yamlSource, value, 'a mapping of settings', name));
      return {};
    }
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const hint = suggest(key, known);
      const expected = `one of ${known.join(', ')}`;
      attempt(ctx.errors, () =>
        fail(
          `${name}.${key}`,
          yamlSource,
          value[key],
          expected,
          `${name}.${key}`,
          `${name}.${key} from ${yamlSource} is not a known setting${hint ? ` (did you mean ${hint}?)` : ''}; expected ${expected}`,
        ),
      );
    }
    return value;
  };
  return { compute: section('compute', COMPUTE_KEYS), jobs: section('jobs', JOBS_KEYS) };
}

type SettingsTable = { -readonly [K in ComputeName | JobsName]: ResolvedConfig[K] };

/**
 * The settings of both tables: every layer that gives a value is validated (a rejected one
 * is recorded and left out); the first valid one of option, environment, YAML wins, else the default.
 */
function resolveSettings(ctx: Resolving, configPath: Setting<string>, fileUnknown: boolean, { compute, jobs }: Sections): SettingsTable {
  const yamlSource: SettingSource = `yaml:${configPath.value}`;
  const layers = <T>(
    rule: Rule<T>,
    section: 'compute' | 'jobs' = 'compute',
  ): { option?: Setting<T>; env?: Setting<T>; yaml?: Setting<T> } => {
    const yamlSection = section === 'jobs' ? jobs : compute;
    const out: { option?: Setting<T>; env?: Setting<T>; yaml?: Setting<T> } = {};
    const check = (raw: unknown, layer: Layer, source: SettingSource, path?: string): Setting<T> | undefined =>
      attempt(ctx.errors, () => {
        const value = rule.parse(raw, layer);
        if (value === undefined) fail(rule.name, source, raw, rule.expected(layer), path);
        return { value, source };
      });
    const o = ctx.options[rule.name];
    const e = rule.envVar === null ? undefined : ctx.envOf(rule.envVar);
    const option = o === undefined ? undefined : check(o, 'option', 'option');
    const env = e === undefined ? undefined : check(e, 'env', `env:${rule.envVar}`);
    const yaml = Object.hasOwn(yamlSection, rule.yamlKey)
      ? check(yamlSection[rule.yamlKey], 'yaml', yamlSource, `${section}.${rule.yamlKey}`)
      : undefined;
    if (option) out.option = option;
    if (env) out.env = env;
    if (yaml) out.yaml = yaml;
    return out;
  };
  const pick = <T>(rule: Rule<T>, section: 'compute' | 'jobs' = 'compute'): Setting<T> => {
    const l = layers(rule, section);
    return l.option ?? l.env ?? l.yaml ?? { value: rule.defaultValue, source: 'default' };
  };

  const threads = pick(RULES.threads);
  // Relative cache_dir: YAML (and the built-in default) against the config file's project
  // root, an option or a variable against the working directory.
  const cacheRaw = pick(RULES.cacheDir);
  const fileRoot = (fileUnknown ? null : projectRootOf(configPath.value)) ?? ctx.cwd;
  const cacheBase = cacheRaw.source === 'option' || cacheRaw.source.startsWith('env:') ? ctx.cwd : fileRoot;
  const cacheDir: Setting<string> = { ...cacheRaw, value: resolve(cacheBase, cacheRaw.value) };
  const cacheStrict = pick(RULES.cacheStrict);
  const maxComputeBytesTotal = pick(RULES.maxComputeBytesTotal);
  const maxVariantsPerCompute = pick(RULES.maxVariantsPerCompute);
  const engine = resolveEngine(ctx, layers(RULES.engine));
  return {
    threads,
    cacheDir,
    cacheStrict,
    maxComputeBytesTotal,
    maxVariantsPerCompute,
    engine,
    batchVariants: pick(RULES.batchVariants),
    profile: pick(RULES.profile),
    maxBatchAttempts: pick(RULES.maxBatchAttempts),
    batchTimeoutMs: pick(RULES.batchTimeoutMs),
    jobsEnabled: pick(JOBS_RULES.jobsEnabled, 'jobs'),
    jobsDsn: pick(JOBS_RULES.jobsDsn, 'jobs'),
    jobsSchema: pick(JOBS_RULES.jobsSchema, 'jobs'),
    jobsLeaseSeconds: pick(JOBS_RULES.jobsLeaseSeconds, 'jobs'),
    jobsRetryLimit: pick(JOBS_RULES.jobsRetryLimit, 'jobs'),
    jobsUnitVariants: pick(JOBS_RULES.jobsUnitVariants, 'jobs'),
    jobsConcurrency: pick(JOBS_RULES.jobsConcurrency, 'jobs'),
    jobsPollIntervalMs: pick(JOBS_RULES.jobsPollIntervalMs, 'jobs'),
    jobsMetricsPort: pick(JOBS_RULES.jobsMetricsPort, 'jobs'),
    jobsMetricsHost: pick(JOBS_RULES.jobsMetricsHost, 'jobs'),
  };
}

/**
 * Engine: the option wins; else GRIDTA_DISABLE_WASM forces reference; else GRIDTA_DISABLE_SIMD
 * turns auto / wasm-simd (from the YAML or the default) into wasm-scalar. A variable that is no
 * boolean is rejected and counts as unset.
 */
function resolveEngine(
  ctx: Resolving,
  engineLayers: { option?: Setting<EngineSetting>; yaml?: Setting<EngineSetting> },
): Setting<EngineSetting> {
  const disable = (name: string): boolean => {
    const raw = ctx.envOf(name);
    if (raw === undefined) return false;
    const b = envBoolean(raw);
    if (b === undefined) attempt(ctx.errors, () => fail('engine', `env:${name}`, raw, ENV_BOOLEAN));
    return b ?? false;
  };
  const disableWasm = disable('GRIDTA_DISABLE_WASM');
  const disableSimd = disable('GRIDTA_DISABLE_SIMD');
  const engineBase = engineLayers.yaml ?? { value: RULES.engine.defaultValue, source: 'default' as const };
  if (engineLayers.option) return engineLayers.option;
  if (disableWasm)
    return { value: 'reference', source: 'env:GRIDTA_DISABLE_WASM', detail: `overrides ${engineBase.value} from ${engineBase.source}` };
  if (disableSimd && (engineBase.value === 'auto' || engineBase.value === 'wasm-simd')) {
    return { value: 'wasm-scalar', source: 'env:GRIDTA_DISABLE_SIMD', detail: `overrides ${engineBase.value} from ${engineBase.source}` };
  }
  return engineBase;
}

/**
 * The settings in diagnose's fixed order (then the `jobs` section), each with value, source, detail (when present) and,
 * for `threads` and `engine`, the effective value (the engine's only once warmup has decided it).
 */
export function describeSettings(cfg: ResolvedConfig, effective: { engine?: string } = {}): SettingRow[] {
  const row = <T>(name: string, s: Setting<T>, eff?: unknown): SettingRow => ({
    name,
    value: s.value,
    source: s.source,
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
    ...(eff !== undefined ? { effective: eff } : {}),
  });
  return [
    row('env', cfg.env),
    row('configPath', cfg.configPath),
    row('threads', cfg.threads, cfg.threadsEffective),
    row('cacheDir', cfg.cacheDir),
    row('cacheStrict', cfg.cacheStrict),
    row('maxComputeBytesTotal', cfg.maxComputeBytesTotal),
    row('maxVariantsPerCompute', cfg.maxVariantsPerCompute),
    row('engine', cfg.engine, effective.engine),
    row('batchVariants', cfg.batchVariants),
    row('profile', cfg.profile),
    row('maxBatchAttempts', cfg.maxBatchAttempts),
    row('batchTimeoutMs', cfg.batchTimeoutMs),
    row('jobsEnabled', cfg.jobsEnabled),
    row('jobsDsn', { ...cfg.jobsDsn, value: cfg.jobsDsn.value === null ? null : maskDsn(cfg.jobsDsn.value) }),
    row('jobsSchema', cfg.jobsSchema),
    row('jobsLeaseSeconds', cfg.jobsLeaseSeconds),
    row('jobsRetryLimit', cfg.jobsRetryLimit),
    row('jobsUnitVariants', cfg.jobsUnitVariants),
    row('jobsConcurrency', cfg.jobsConcurrency),
    row('jobsPollIntervalMs', cfg.jobsPollIntervalMs),
    row('jobsMetricsPort', cfg.jobsMetricsPort),
    row('jobsMetricsHost', cfg.jobsMetricsHost),
  ];
}
