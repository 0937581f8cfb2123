// Stored profiles sent to a remote: `pyro push SELECTOR` sends those of a
// range, `pyro sync` those the remote has not acknowledged. Each profile is
// acknowledged in the store as soon as the remote answers 2xx, so a killed
// sync resumes where it stopped and never sends an acknowledged one again.

import type { Selector } from '../query/selector.js';
import { APP_LABEL } from '../store/match.js';
import type { ProfileStore, StoredProfile, TimeRange } from '../store/types.js';
import { type Protocol, pushProfile, type Remote, RemoteError, remoteKey } from './client.js';

export interface SendOptions {
  protocol: Protocol;
  /** Attempts after the first, on 5xx, 429 and network errors. */
  retries: number;
  /** Leave out what the remote acknowledged (sync) or send every profile in the range (push). */
  onlyUnacknowledged: boolean;
  /** Profiles in flight at once. */
  concurrency: number;
  /** First wait before a retry, doubled each time (up to 30 s). */
  backoffMs?: number;
  onSent?: (p: StoredProfile) => void;
  onRetry?: (p: StoredProfile, attempt: number, e: RemoteError) => void;
}

export interface SendReport {
  remote: string;
  /** Profiles sent and acknowledged in this run. */
  sent: number;
  /** The ones the remote refused for good (4xx), with the reason; they stay unacknowledged. */
  refused: { id: number; series: string; error: string }[];
  /** Set when the run stopped early: the remote stayed unreachable or kept failing. */
  stopped?: string;
}

export async function sendStored(
  store: ProfileStore,
  remote: Remote,
  selector: Selector,
  range: TimeRange,
  o: SendOptions,
): Promise<SendReport> {
  const key = remoteKey(remote);
  const todo = store.profiles(selector, range, o.onlyUnacknowledged ? { notAckedBy: key } : {});
  const report: SendReport = { remote: key, sent: 0, refused: [] };
  let next = 0;
  const worker = async () => {
    while (next < todo.length && report.stopped === undefined) {
      const p = todo[next++] as StoredProfile;
      const profile = store.profile(p.id);
      if (!profile) continue; // removed meanwhile
      const labels = { ...p.labels };
      delete labels[APP_LABEL];
      try {
        await withRetry(() => pushProfile(remote, profile, { app: p.app, labels }, o.protocol), o, p);
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        if (e.retriable) report.stopped = e.message;
        else report.refused.push({ id: p.id, series: p.name, error: e.message });
        continue;
      }
      store.ack(key, [p.id]);
      report.sent++;
      o.onSent?.(p);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return report;
}

async function withRetry(fn: () => Promise<void>, o: SendOptions, p: StoredProfile): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof RemoteError) || !e.retriable || attempt >= o.retries) throw e;
      o.onRetry?.(p, attempt + 1, e);
      const wait = Math.min(30_000, (o.backoffMs ?? 500) * 2 ** attempt);
      await new Promise((r) => setTimeout(r, wait * (0.75 + Math.random() / 2)));
    }
  }
}
