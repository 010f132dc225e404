/**
 * `gridta/jobs`: scale-out on PostgreSQL with pg-boss. A job is one indicator grid over a set of
 * candle files, split into units (instrument, variant range) that `gridta worker` processes claim,
 * compute and write as Arrow files; `collectJob` merges them back into one tensor per instrument.
 * A backtest job (`submitBacktestJob`) scores a strategy's variants in Stage A units, ranks them across
 * instruments once, replays the shortlist in Stage B, and keeps the top variants (`jobTop`).
 */
export { openJobsDb, requireDsn, QUEUE } from './store.js';
export type { JobsDb, JobSpec, BacktestJobSpec, JobInstrument, OpenOptions } from './store.js';
export { submitJob, jobStatus, listJobs, cancelJob, collectJob } from './control.js';
export type {
  SubmitRequest,
  SubmitResult,
  JobStatus,
  JobState,
  StageProgress,
  UnitFailure,
  CancelOutcome,
  CancelResult,
  CollectOptions,
  CollectedInstrument,
} from './control.js';
export { submitBacktestJob } from './backtest.js';
export type { SubmitBacktestRequest, SubmitBacktestResult, StageASummary } from './backtest.js';
export { jobTop } from './top.js';
export type { JobTop, TopRow, TopOptions } from './top.js';
export { startWorker } from './worker.js';
export type { WorkerOptions, RunningWorker, WorkerFaults, Logger } from './worker.js';
export { createWorkerMetrics, serveMetrics } from './metrics.js';
export type { WorkerMetrics } from './metrics.js';
export { unitToIPC, mergeUnits, unitOfTable } from './arrow.js';
export { planUnits, cartesianBlocks, explicitGrid, unitFileName, autoUnitVariants, TEMP_DIR } from './units.js';
export type { UnitRange, CartesianBlock } from './units.js';
export { computeUnitValues } from './compute.js';
export type { UnitComputeInput, UnitComputeResult } from './compute.js';
export { listJobsPage } from './paging.js';
export type { JobsPage, PageOptions } from './paging.js';
export { startApiServer } from './http.js';
export type { ApiServer, ApiServerOptions } from './http.js';
