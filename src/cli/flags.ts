import { Flags } from '@oclif/core';
import { PyroError } from '../core/errors.js';
import { WRITABLE } from '../core/formats/index.js';
import type { PerfScriptOptions } from '../core/formats/types.js';
import type { LoadOptions } from '../core/input.js';
import type { FilterOptions, Granularity } from '../core/model/filter.js';
import { LABEL_NAME } from '../core/query/selector.js';
import { type Remote, remoteUrl } from '../core/remote/client.js';

/** Flags of every command that reads profiles: input format and the perf script options. */
export const inputFlags = {
  'input-format': Flags.string({
    description:
      'read every input as this format instead of detecting it (folded, pprof, perf-script, perf-data, jfr, cpuprofile, heapprofile, trace-event, speedscope, callgrind, dtrace, ghc-prof, flamebearer, pyroscope-trie, pyroscope-tree, pyroscope-lines)',
    helpGroup: 'INPUT',
  }),
  pid: Flags.boolean({ description: 'perf script: root each stack at "comm-PID"', helpGroup: 'PERF SCRIPT' }),
  tid: Flags.boolean({ description: 'perf script: root each stack at "comm-PID/TID"', helpGroup: 'PERF SCRIPT' }),
  kernel: Flags.boolean({ description: 'perf script: mark kernel frames with _[k]', helpGroup: 'PERF SCRIPT' }),
  jit: Flags.boolean({ description: 'perf script: mark JIT frames with _[j]', helpGroup: 'PERF SCRIPT' }),
  inline: Flags.boolean({ description: 'perf script: mark inlined frames with _[i]', helpGroup: 'PERF SCRIPT' }),
  all: Flags.boolean({ description: 'perf script: all marks (--kernel --jit --inline)', helpGroup: 'PERF SCRIPT' }),
  addrs: Flags.boolean({ description: 'perf script: show addresses of unknown symbols', helpGroup: 'PERF SCRIPT' }),
  event: Flags.string({
    description: 'perf script: read only this event (default: the first one seen)',
    helpGroup: 'PERF SCRIPT',
  }),
  'all-events': Flags.boolean({
    description: 'perf script: read every event, one value type each',
    helpGroup: 'PERF SCRIPT',
  }),
  'include-offset': Flags.boolean({
    description: "DTrace: keep function offsets (+0x12), except the leaf's",
    helpGroup: 'DTRACE',
  }),
};

/** Where and in which format a command writes a profile (convert, export). */
export const outputFlags = {
  to: Flags.string({
    description: 'output format (default: from the extension of -o, else folded)',
    options: [...WRITABLE],
  }),
  output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
};

/** Flags that filter and regroup the samples, with pprof's meanings. */
export const filterFlags = {
  focus: Flags.string({
    description: 'keep only samples with a frame matching REGEX',
    multiple: true,
    helpGroup: 'FILTER',
  }),
  ignore: Flags.string({
    description: 'drop samples with a frame matching REGEX',
    multiple: true,
    helpGroup: 'FILTER',
  }),
  hide: Flags.string({ description: 'remove frames matching REGEX from stacks', multiple: true, helpGroup: 'FILTER' }),
  show: Flags.string({ description: 'keep only frames matching REGEX in stacks', multiple: true, helpGroup: 'FILTER' }),
  'prune-from': Flags.string({
    description: 'cut stacks below the deepest frame matching REGEX',
    multiple: true,
    helpGroup: 'FILTER',
  }),
  tag: Flags.string({
    description: 'keep samples whose labels match key=value (also !=, =~, !~)',
    multiple: true,
    helpGroup: 'FILTER',
  }),
  'collapse-recursion': Flags.boolean({ description: 'show a frame that calls itself once', helpGroup: 'FILTER' }),
  value: Flags.string({
    description: "the value type to use (e.g. cpu, samples, alloc_space); default: the profile's",
    helpGroup: 'FILTER',
  }),
};

/** Where the profile store is (every command that reads or writes it). */
export const storeFlag = {
  store: Flags.string({
    description: 'the profile store directory (default: $PYRO_STORE, else $XDG_DATA_HOME/pyro)',
    helpGroup: 'STORE',
  }),
};

/** The time range of a selector: [--from, --until). */
export const rangeFlags = {
  from: Flags.string({
    description: 'start of the time range: now-1h, 2h (ago), RFC 3339, unix s or ms (default: the first profile)',
    helpGroup: 'STORE',
  }),
  until: Flags.string({
    description: 'end of the time range, same forms (default: the last profile)',
    helpGroup: 'STORE',
  }),
};

/** A Pyroscope server (or pyro server): where push and sync send, and where selectors are read with --url. */
export const remoteFlags = {
  url: Flags.string({
    description:
      'read selectors from this Pyroscope (or pyro server) instead of the local store, e.g. http://localhost:4040',
    helpGroup: 'REMOTE',
  }),
  token: Flags.string({ description: 'a Bearer token for the remote', env: 'PYRO_REMOTE_TOKEN', helpGroup: 'REMOTE' }),
  'basic-auth': Flags.string({
    description: 'user:password for the remote',
    env: 'PYRO_REMOTE_BASIC_AUTH',
    helpGroup: 'REMOTE',
  }),
  'tenant-id': Flags.string({
    description: 'the tenant (X-Scope-OrgID) on the remote',
    env: 'PYRO_REMOTE_TENANT_ID',
    helpGroup: 'REMOTE',
  }),
};

/** Flags of the commands whose inputs may be series selectors read from the store (or a remote). */
export const selectorFlags = { ...storeFlag, ...rangeFlags, ...remoteFlags };

export const granularityFlag = {
  granularity: Flags.string({
    description: 'group frames by function, line, file or module',
    options: ['function', 'line', 'file', 'module'],
    helpGroup: 'FILTER',
  }),
};

type Parsed = Record<string, unknown>;

/** How the input flags read: the format override, perf script and DTrace options, the store and time range of selectors. */
export function loadOptions(f: Parsed): LoadOptions {
  return {
    inputFormat: f['input-format'] as string | undefined,
    perf: perfOptions(f),
    dtrace: { includeOffset: Boolean(f['include-offset']) },
    store: f.store as string | undefined,
    from: f.from as string | undefined,
    until: f.until as string | undefined,
    remote: remoteOptions(f),
  };
}

/** The remote of --url and its credentials; undefined without --url. */
export function remoteOptions(f: Parsed): Remote | undefined {
  if (!f.url) return undefined;
  const basicAuth = f['basic-auth'] as string | undefined;
  if (basicAuth !== undefined && !basicAuth.includes(':'))
    throw new PyroError('--basic-auth: expected user:password', 2);
  remoteUrl(f.url as string);
  return {
    url: f.url as string,
    token: f.token as string | undefined,
    basicAuth,
    tenantId: f['tenant-id'] as string | undefined,
  };
}

/** `k=v` flags (--label, --set) as labels; a name must be a valid label name. */
export function labelPairs(specs: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (eq < 0 || !LABEL_NAME.test(name))
      throw new PyroError(`${flag} ${spec}: expected name=value, the name made of letters, digits, _ and .`, 2);
    out[name] = spec.slice(eq + 1);
  }
  return out;
}

function perfOptions(f: Parsed): Partial<PerfScriptOptions> {
  return {
    pid: Boolean(f.pid),
    tid: Boolean(f.tid),
    kernel: Boolean(f.kernel),
    jit: Boolean(f.jit),
    inline: Boolean(f.inline),
    all: Boolean(f.all),
    addrs: Boolean(f.addrs),
    event: f.event as string | undefined,
    allEvents: Boolean(f['all-events']),
  };
}

export function filterOptions(f: Parsed): FilterOptions {
  return {
    focus: f.focus as string[] | undefined,
    ignore: f.ignore as string[] | undefined,
    hide: f.hide as string[] | undefined,
    show: f.show as string[] | undefined,
    pruneFrom: f['prune-from'] as string[] | undefined,
    tags: f.tag as string[] | undefined,
    collapseRecursion: Boolean(f['collapse-recursion']),
    granularity: (f.granularity as Granularity | undefined) ?? 'frame',
  };
}
