/**
 * The jobs project's one PostgreSQL cluster (scripts/pg-cluster.mjs): started once before its files,
 * stopped after them. Each file works in a database of its own on it (jobsFixture), so the files
 * stay as isolated as with a cluster each, without an initdb and a server start per file.
 */
import type { TestProject } from 'vitest/node';
// @ts-expect-error -- a plain ES module without types
import { startCluster } from '../../scripts/pg-cluster.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared cluster's port on 127.0.0.1 (user gridta, trust auth). */
    jobsPgPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = (await startCluster()) as { port: number; stop(): Promise<void> };
  project.provide('jobsPgPort', cluster.port);
  return () => cluster.stop();
}
