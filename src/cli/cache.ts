/**
 * `gridta cache path | ls (list) | verify [--fix] | clear`. Every subcommand
 * takes `--dir DIR` (an option override of cacheDir), `--json` and the config flags.
 */
import { join } from 'node:path';
import { resolveConfig } from '../runtime/config.js';
import {
  clearCacheDir,
  currentKeys,
  isProblem,
  removeFailureText,
  removeListing,
  scanCacheDir,
  STALE_TEMP_MS,
  type CacheListing,
  type RemoveFailure,
} from '../runtime/cache.js';
import { bundledCacheDir } from '../runtime/paths.js';
import { UsageError, engineOptions, parse } from './args.js';

const USAGE = `usage: gridta cache <path|ls|list|verify|clear> [--dir DIR] [--json] [config flags]

  path           the absolute cache_dir (and which setting chose it) and the bundled directory
  ls, list       every entry of both tiers: tier, key, target, bytes, createdAt, compiler, status
                 (ok, corrupt, orphan, temp) and whether this installation looks the key up
  verify [--fix] validate every entry; --fix deletes corrupt entries, orphans and temporary files
                 older than 10 minutes in cache_dir (never in the bundled tier); exit 1 while any
                 problem remains, each file --fix could not remove listed with its errno
  clear          delete, in cache_dir only, the entry files (<64 hex>.wasm|.json) and their
                 .tmp-* temporaries; no other file is touched; exit 1 when any could not be
                 removed (each listed with its errno)

A directory named like an entry file is a corrupt entry: --fix and clear remove it when it is
empty and report it otherwise (they never delete a directory's contents).
`;

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

/** Fixed-width columns, no trailing blanks. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One file `verify --fix` or `clear` could not remove: its path, errno and why. */
const failureLine = (dir: string, f: RemoveFailure): string =>
  `could not remove ${join(dir, f.file)}: ${f.errno} (${removeFailureText(f.errno)})`;

/** What `ls --json` and `verify --json` print per row. */
function rowJson(r: CacheListing): Record<string, unknown> {
  return {
    tier: r.tier,
    key: r.key,
    target: r.target,
    bytes: r.bytes,
    createdAt: r.createdAt,
    compiler: r.compiler,
    status: r.status,
    current: r.current,
    reason: r.reason,
    files: r.files,
  };
}

function rowText(r: CacheListing): string[] {
  const status = r.status === 'corrupt' && r.reason ? `corrupt (${r.reason})` : r.status;
  return [
    r.tier,
    r.key.slice(0, 12),
    r.target ?? '-',
    r.bytes === null ? '-' : String(r.bytes),
    r.createdAt ?? '-',
    r.compiler ?? '-',
    r.current ? 'yes' : 'no',
    status,
  ];
}
const HEADER = ['TIER', 'KEY', 'TARGET', 'BYTES', 'CREATED', 'COMPILER', 'CURRENT', 'STATUS'];

export async function runCache(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { dir: { type: 'string' }, fix: { type: 'boolean' } });
  const [sub, ...extra] = positionals;
  // an unknown subcommand is a usage error even with --help
  if (sub && !['path', 'ls', 'list', 'verify', 'clear'].includes(sub))
    throw new UsageError(`unknown cache subcommand ${JSON.stringify(sub)}\n${USAGE}`);
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!sub) throw new UsageError(`gridta cache needs a subcommand\n${USAGE}`);
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (values.fix && sub !== 'verify') throw new UsageError('--fix belongs to gridta cache verify');
  if (values.dir !== undefined && values['cache-dir'] !== undefined) throw new UsageError('give either --dir or --cache-dir, not both');
  const options = engineOptions(values);
  if (values.dir !== undefined) options.cacheDir = values.dir as string;
  const config = resolveConfig(options);
  for (const w of config.warnings) process.emitWarning(w.message, { code: w.code });
  const dir = config.cacheDir.value;
  const bundled = bundledCacheDir();
  const json = values.json === true;

  if (sub === 'path') {
    if (json) out(JSON.stringify({ cacheDir: dir, source: config.cacheDir.source, bundledDir: bundled }));
    else out(`cache_dir  ${dir}  (${config.cacheDir.source})\nbundled    ${bundled}`);
    return 0;
  }

  if (sub === 'clear') {
    const { files, bytes, failed } = await clearCacheDir(dir);
    if (json) out(JSON.stringify({ dir, files, bytes, failed }));
    else {
      out(
        [
          ...failed.map((f) => failureLine(dir, f)),
          `gridta cache clear: removed ${plural(files, 'file')} (${bytes} bytes) from ${dir}${failed.length ? `; ${failed.length} could not be removed` : ''}`,
        ].join('\n'),
      );
    }
    return failed.length ? 1 : 0;
  }

  const current = await currentKeys();
  const rows = [...(await scanCacheDir(dir, 'cache', current)), ...(await scanCacheDir(bundled, 'bundled', current))];

  if (sub === 'ls' || sub === 'list') {
    if (json) out(JSON.stringify({ cacheDir: dir, bundledDir: bundled, entries: rows.map(rowJson) }));
    else out([`cache_dir ${dir}`, `bundled   ${bundled}`, rows.length ? table([HEADER, ...rows.map(rowText)]) : 'no entries'].join('\n'));
    return 0;
  }

  // verify [--fix]: only cache_dir is ever repaired
  const fixed = new Set<CacheListing>();
  const fixFailed = new Map<CacheListing, RemoveFailure[]>();
  if (values.fix) {
    for (const r of rows) {
      if (r.tier !== 'cache' || !isProblem(r)) continue;
      const { failed } = await removeListing(r);
      if (failed.length) fixFailed.set(r, failed);
      else fixed.add(r);
    }
  }
  const remaining = rows.filter((r) => isProblem(r) && !fixed.has(r));
  const valid = rows.filter((r) => r.status === 'ok').length;
  if (json) {
    out(
      JSON.stringify({
        cacheDir: dir,
        bundledDir: bundled,
        ok: remaining.length === 0,
        entries: rows.length,
        valid,
        problems: remaining.length + fixed.size,
        fixed: fixed.size,
        notFixed: fixFailed.size,
        rows: rows.map((r) => ({ ...rowJson(r), problem: isProblem(r), fixed: fixed.has(r), fixFailed: fixFailed.get(r) ?? [] })),
      }),
    );
  } else {
    const lines = [`cache_dir ${dir}`, `bundled   ${bundled}`];
    if (rows.length) {
      lines.push(
        table([
          [...HEADER, 'ACTION'],
          ...rows.map((r) => {
            const action = fixed.has(r)
              ? 'deleted'
              : fixFailed.has(r)
                ? 'not fixed'
                : isProblem(r)
                  ? r.tier === 'bundled'
                    ? 'problem (bundled: not repaired)'
                    : 'problem'
                  : r.status === 'temp'
                    ? `in progress (< ${STALE_TEMP_MS / 60_000} min)`
                    : '';
            return [...rowText(r), action];
          }),
        ]),
      );
    }
    for (const failed of fixFailed.values()) lines.push(...failed.map((f) => failureLine(dir, f)));
    const entries = rows.filter((r) => r.status !== 'temp').length;
    const hint = !values.fix && remaining.some((r) => r.tier === 'cache') ? '; gridta cache verify --fix repairs cache_dir' : '';
    lines.push(
      `gridta cache verify: ${entries} ${entries === 1 ? 'entry' : 'entries'}, ${valid} valid, ` +
        `${plural(remaining.length + fixed.size, 'problem')}${values.fix ? `, ${fixed.size} fixed` : ''}${fixFailed.size ? `, ${fixFailed.size} not fixed` : ''}${hint}`,
    );
    out(lines.join('\n'));
  }
  return remaining.length === 0 ? 0 : 1;
}
