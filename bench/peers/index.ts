/** The peers of `gridta bench`: four pure-JS devDependencies and two opt-in native addons. */
import type { PeerAdapter, PeerUnavailable } from './types.js';

export type { PeerAdapter, PeerCandles, PeerSeries, PeerUnavailable } from './types.js';

const LOADERS: readonly { name: string; native?: boolean; load: () => Promise<PeerAdapter> }[] = [
  { name: 'technicalindicators', load: async () => (await import('./technicalindicators.js')).load() as Promise<PeerAdapter> },
  { name: 'trading-signals', load: async () => (await import('./trading-signals.js')).load() as Promise<PeerAdapter> },
  { name: 'indicatorts', load: async () => (await import('./indicatorts.js')).load() as Promise<PeerAdapter> },
  { name: '@ixjb94/indicators', load: async () => (await import('./ixjb94-indicators.js')).load() as Promise<PeerAdapter> },
  { name: 'tulind', native: true, load: async () => (await import('./native.js')).loadTulind() as Promise<PeerAdapter> },
  { name: 'talib', native: true, load: async () => (await import('./native.js')).loadTalib() as Promise<PeerAdapter> },
];

export const PEER_NAMES: readonly string[] = LOADERS.map((l) => l.name);

/** Loads every peer (or those named); one that cannot be imported is returned as unavailable, never thrown. */
export async function loadPeers(only?: readonly string[]): Promise<{ peers: PeerAdapter[]; unavailable: PeerUnavailable[] }> {
  const peers: PeerAdapter[] = [];
  const unavailable: PeerUnavailable[] = [];
  for (const l of LOADERS) {
    if (only && !only.includes(l.name)) continue;
    try {
      peers.push(await l.load());
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!;
      unavailable.push({ name: l.name, native: l.native, reason: /Cannot find (package|module)/.test(msg) ? 'not installed' : msg });
    }
  }
  return { peers, unavailable };
}
