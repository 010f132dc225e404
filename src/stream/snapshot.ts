/**
 * The stream snapshot document:
 *
 *   bytes 0–7     magic "GRIDTASN"
 *   bytes 8–11    format version (u32, little-endian), FORMAT
 *   bytes 12–19   total length in bytes (f64), checksum included
 *   bytes 20–23   header length H (u32), then H bytes of UTF-8 JSON: gridta version, engine, kernel
 *                 build key, grid, outputs, instrument, timeframe, timeline, profile (only
 *                 when not the default), first and last tsOpen, the core's counters and the byte
 *                 length of every section
 *   sections      the kernel states (now and before the last call) and the input rows, back to back
 *   last 32       SHA-256 of everything before it
 *
 * `decodeSnapshot` checks, in this order, and refuses with StreamSnapshotError: the magic, the
 * format, the length (a shorter document is truncated), the checksum, the header, then that the
 * snapshot comes from the engine and the kernel build that would continue it (state layouts change
 * between builds, so no other build's state is ever resumed).
 *
 * The profile: a snapshot of the default profile is written exactly as before profiles existed (no
 * `profile` member), and a header without one is read as the default profile; any other profile is
 * a `profile` member after `timeline`. The header is under the checksum, so the profile of a
 * snapshot cannot be changed without the document being refused.
 */
import { createHash } from 'node:crypto';
import { StreamSnapshotError } from '../errors.js';
import type { GridSpec } from '../grid/types.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';

const MAGIC = 'GRIDTASN';
export const SNAPSHOT_FORMAT = 1;
const PREFIX = 24;
const DIGEST = 32;

export interface SnapshotHeader {
  readonly gridta: string;
  readonly engine: string;
  readonly build: string;
  readonly grid: GridSpec;
  readonly outputs: readonly string[];
  readonly instrumentId: string;
  readonly timeframe: string;
  readonly timeline: string;
  /** The profile of conventions the stream computes in (absent from the stored header: the default). */
  readonly profile: Profile;
  readonly origin: number | null;
  readonly lastTs: number | null;
  /** Hole bars so far (the candle loaders' hole-share limit applies to a stream's gaps too). */
  readonly holes: number;
}

/** The core's part: counters and byte sections (kernel states and input rows). */
export interface CoreState {
  readonly bars: number;
  readonly lastCallRows: number;
  readonly lastResumed?: boolean;
  readonly states?: readonly Uint8Array[];
  readonly saved?: readonly Uint8Array[];
  readonly inputs: readonly Float32Array[];
}

interface Stored extends Omit<SnapshotHeader, 'profile'> {
  readonly profile?: unknown;
  readonly core: { bars: number; lastCallRows: number; lastResumed: boolean | null; states: number[]; saved: number[]; inputs: number[] };
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

export function encodeSnapshot(header: SnapshotHeader, core: CoreState): Uint8Array {
  const states = core.states ?? [];
  const saved = core.saved ?? [];
  const inputs = core.inputs.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const { profile, ...rest } = header;
  // the members in the order they always had; another profile than the default after the timeline
  const { origin, lastTs, holes, ...before } = rest;
  const stored: Stored = {
    ...before,
    ...(profile === DEFAULT_PROFILE ? {} : { profile }),
    origin,
    lastTs,
    holes,
    core: {
      bars: core.bars,
      lastCallRows: core.lastCallRows,
      lastResumed: core.lastResumed ?? null,
      states: states.map((s) => s.byteLength),
      saved: saved.map((s) => s.byteLength),
      inputs: inputs.map((s) => s.byteLength),
    },
  };
  const json = new TextEncoder().encode(JSON.stringify(stored));
  const sections = [...states, ...saved, ...inputs];
  const total = PREFIX + json.byteLength + sections.reduce((a, s) => a + s.byteLength, 0) + DIGEST;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, SNAPSHOT_FORMAT, true);
  view.setFloat64(12, total, true);
  view.setUint32(20, json.byteLength, true);
  out.set(json, PREFIX);
  let at = PREFIX + json.byteLength;
  for (const s of sections) {
    out.set(s, at);
    at += s.byteLength;
  }
  out.set(sha256(out.subarray(0, at)), at);
  return out;
}

/** Decodes and checks a snapshot for the engine and kernel build that will continue it. */
export function decodeSnapshot(bytes: unknown, warm: { engine: string; buildKey: string }): { header: SnapshotHeader; state: CoreState } {
  if (!(bytes instanceof Uint8Array))
    throw new StreamSnapshotError(
      { reason: 'not_a_snapshot', value: typeof bytes },
      'expected the Uint8Array that stream.snapshot() returned',
    );
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.byteLength < 8 || magic !== MAGIC) {
    if (bytes.byteLength < 8 && MAGIC.startsWith(magic))
      throw new StreamSnapshotError({ reason: 'truncated', value: bytes.byteLength }, `the document ends after ${bytes.byteLength} bytes`);
    throw new StreamSnapshotError({ reason: 'not_a_snapshot' }, 'it does not start with the snapshot magic "GRIDTASN"');
  }
  if (bytes.byteLength < PREFIX + DIGEST)
    throw new StreamSnapshotError({ reason: 'truncated', value: bytes.byteLength }, `the document ends after ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(8, true);
  if (format > SNAPSHOT_FORMAT)
    throw new StreamSnapshotError(
      { reason: 'newer_format', value: format, expected: SNAPSHOT_FORMAT },
      `format ${format} is newer than this gridta reads (${SNAPSHOT_FORMAT}); restore it with the gridta that wrote it or a newer one`,
    );
  if (format < 1)
    throw new StreamSnapshotError({ reason: 'malformed', value: format, expected: SNAPSHOT_FORMAT }, `format ${format} does not exist`);
  const total = view.getFloat64(12, true);
  if (bytes.byteLength < total)
    throw new StreamSnapshotError(
      { reason: 'truncated', value: bytes.byteLength, expected: total },
      `the document has ${bytes.byteLength} of its ${total} bytes`,
    );
  if (bytes.byteLength !== total)
    throw new StreamSnapshotError(
      { reason: 'malformed', value: bytes.byteLength, expected: total },
      `the document has ${bytes.byteLength} bytes, its header says ${total}`,
    );
  const body = bytes.subarray(0, total - DIGEST);
  const want = bytes.subarray(total - DIGEST);
  const got = sha256(body);
  if (!got.every((b, i) => b === want[i]))
    throw new StreamSnapshotError(
      { reason: 'checksum_mismatch' },
      'its SHA-256 does not match its contents (the document was altered or damaged)',
    );
  const jsonLength = view.getUint32(20, true);
  let stored: Stored;
  try {
    stored = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + jsonLength))) as Stored;
  } catch (e) {
    throw new StreamSnapshotError({ reason: 'malformed' }, `its header is not JSON (${(e as Error).message})`);
  }
  if (stored.engine !== warm.engine)
    throw new StreamSnapshotError(
      { reason: 'other_engine', value: stored.engine, expected: warm.engine },
      `it was taken on the ${stored.engine} engine and this engine runs ${warm.engine}`,
    );
  if (stored.build !== warm.buildKey)
    throw new StreamSnapshotError(
      { reason: 'other_build', value: stored.build, expected: warm.buildKey },
      `it was taken with kernel build ${stored.build.slice(0, 12)} and this engine runs ${warm.buildKey.slice(0, 12)} (kernel state layouts differ between builds)`,
    );
  const c = stored.core;
  let at = PREFIX + jsonLength;
  const take = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0 || at + n > total - DIGEST)
      throw new StreamSnapshotError({ reason: 'malformed', value: n }, 'a section runs past the end of the document');
    // a copy (a Buffer's slice would be a view, possibly unaligned for a Float32Array)
    const s = new Uint8Array(n);
    s.set(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const states = c.states.map(take);
  const saved = c.saved.map(take);
  const inputs = c.inputs.map((n) => {
    if (n % 4 !== 0) throw new StreamSnapshotError({ reason: 'malformed', value: n }, 'an input section is not whole float32 values');
    const b = take(n);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  });
  if (at !== total - DIGEST) throw new StreamSnapshotError({ reason: 'malformed' }, 'bytes left over after the last section');
  const { core: _core, profile: storedProfile, ...rest } = stored;
  // a header without a profile: the default (every snapshot taken before profiles existed)
  const profile = storedProfile ?? DEFAULT_PROFILE;
  if (!(PROFILES as readonly unknown[]).includes(profile))
    throw new StreamSnapshotError(
      { reason: 'malformed', value: storedProfile, expected: PROFILES },
      `its profile ${JSON.stringify(storedProfile)} is not one of ${PROFILES.join(', ')}`,
    );
  return {
    header: { ...rest, profile: profile as Profile },
    state: {
      bars: c.bars,
      lastCallRows: c.lastCallRows,
      ...(c.lastResumed === null ? {} : { lastResumed: c.lastResumed }),
      states,
      saved,
      inputs,
    },
  };
}
