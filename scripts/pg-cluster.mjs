/**
 * A throwaway PostgreSQL cluster for the jobs tests and the jobs benchmark: initdb in a temporary
 * directory, started on a free loopback port with fsync off, trust auth for user `gridta`, removed
 * by stop() (and on process exit if stop() was never reached). PostgreSQL refuses to run as root, so
 * as root the cluster runs as the `postgres` system user that Debian's `postgresql` package creates.
 *
 *   import { startCluster } from './scripts/pg-cluster.mjs';
 *   const pg = await startCluster();   // { dsn, port, dir, binDir, stop() }
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The directory of initdb/pg_ctl: from PATH, else the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBin() {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'))) return d;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length) return join(root, versions[0], 'bin');
  throw new Error(
    'PostgreSQL is not installed: initdb was found neither on PATH nor in /usr/lib/postgresql/*/bin. ' +
      'Install it (Debian/Ubuntu: apt-get install -y postgresql; .ci/run does this on CI machines).',
  );
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

export async function startCluster({ quiet = true } = {}) {
  const binDir = findPostgresBin();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let user = null;
  let uid = 0,
    gid = 0;
  if (isRoot) {
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      throw new Error(
        'running as root, but there is no `postgres` system user to run PostgreSQL as (the Debian postgresql package creates it)',
      );
    }
    user = 'postgres';
  }
  const dir = mkdtempSync(join(tmpdir(), 'gridta-pg-'));
  let stopped = false;
  const data = join(dir, 'data');
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    if (existsSync(join(data, 'postmaster.pid'))) {
      spawnSync(
        user === null ? join(binDir, 'pg_ctl') : 'runuser',
        user === null
          ? ['-D', data, '-m', 'immediate', '-w', 'stop']
          : ['-u', user, '--', join(binDir, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'],
        { cwd: dir, stdio: 'ignore', timeout: 30_000 },
      );
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  try {
    if (isRoot) chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
    run(user, dir, join(binDir, 'initdb'), ['-D', data, '-U', 'gridta', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const port = await freePort();
    run(user, dir, join(binDir, 'pg_ctl'), [
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
    if (!quiet) process.stderr.write(`postgres ${binDir} on 127.0.0.1:${port} in ${dir}\n`);
    return {
      dsn: `postgres://gridta@127.0.0.1:${port}/postgres`,
      port,
      dir,
      binDir,
      /** A fresh database on this cluster (for isolation between test files sharing nothing else). */
      createDatabase(name) {
        run(user, dir, join(binDir, 'psql'), [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'gridta',
          '-d',
          'postgres',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          `CREATE DATABASE ${name}`,
        ]);
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
