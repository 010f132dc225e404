/**
 * `gridta/jobs`: scale-out on PostgreSQL with pg-boss. A job is one indicator grid over a set of
 * candle files, split into units (instrument, variant range) that `gridta worker` processes claim,
 * compute and write as Arrow files; `collectJob` merges them back into one tensor per instrument.
 */
export { openJobsDb, requireDsn, QUEUE } from './store.js';
export type { JobsDb, JobSpec, JobInstrument, OpenOptions } from './store.js';
export { submitJob, jobStatus, listJobs, cancelJob, collectJob } from './control.js';
export type {
  SubmitRequest,
  SubmitResult,
  JobStatus,
  JobState,
  UnitFailure,
  CancelOutcome,
  CancelResult,
  CollectOptions,
  CollectedInstrument,
} from './control.js';
export { startWorker } from './worker.js';
export type { WorkerOptions, RunningWorker, WorkerFaults, Logger } from './worker.js';
export { createWorkerMetrics, serveMetrics } from './metrics.js';
export type { WorkerMetrics } from './metrics.js';
export { unitToIPC, mergeUnits, unitOfTable } from './arrow.js';
export { planUnits, cartesianBlocks, explicitGrid, unitFileName, autoUnitVariants, TEMP_DIR } from './units.js';
export type { UnitRange, CartesianBlock } from './units.js';
export { computeUnitValues } from './compute.js';
export type { UnitComputeInput, UnitComputeResult } from './compute.js';
