import { availableParallelism } from 'node:os';
import { Flags } from '@oclif/core';
import { PyroCommand } from '../cli/base.js';
import { storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { storeDir } from '../core/query/open.js';
import { durationFlag } from '../core/query/time.js';
import { startServer } from '../core/remote/server.js';
import { parseSize } from '../core/units.js';

export default class Server extends PyroCommand {
  static override summary =
    "Serve Pyroscope's HTTP API on the local store: real Pyroscope clients push to it, Grafana reads it.";
  static override description =
    `Ingest: POST /ingest (folded, lines, trie, tree, pprof raw or multipart, JFR, speedscope) and Grafana Pyroscope's POST /push.v1.PusherService/Push. Queries: /render (json, pprof, collapsed, html), /render-diff, /labels, /label-values, /api/apps and the Connect querier (ProfileTypes, LabelNames, LabelValues, SelectMergeStacktraces). GET / is the flamegraph viewer with a query box. Every ingest answered 200 is committed to the store. Binds 127.0.0.1 unless --host says otherwise; with --auth-token or --basic-auth every endpoint needs the credentials. Runs until SIGINT or SIGTERM. Exit codes: 0 stopped by a signal, 1 error (the port in use), 2 usage error.`;
  static override examples = [
    '<%= config.bin %> server',
    '<%= config.bin %> server --port 4040 --store ./profiles',
    '<%= config.bin %> server --host 0.0.0.0 --auth-token "$TOKEN" --max-body 16MB',
    '<%= config.bin %> server --multi-tenant --basic-auth admin:secret',
  ];
  static override flags = {
    port: Flags.integer({ description: 'the port (0: any free one)', default: 4040, min: 0, max: 65535 }),
    host: Flags.string({ description: 'the address to listen on', default: '127.0.0.1' }),
    'auth-token': Flags.string({ description: 'a Bearer token every request must carry', env: 'PYRO_SERVER_TOKEN' }),
    'basic-auth': Flags.string({ description: 'user:password for HTTP basic auth', env: 'PYRO_SERVER_BASIC_AUTH' }),
    'multi-tenant': Flags.boolean({
      description: 'keep each X-Scope-OrgID tenant in its own store (the header is then required)',
    }),
    'max-body': Flags.string({ description: 'the largest request body taken (413 past it)', default: '64MB' }),
    timeout: Flags.string({ description: 'the time limit of one request', default: '30s' }),
    'read-threads': Flags.integer({
      description:
        'threads that read ingest bodies beside the one that answers requests and writes the store (0: none)',
      default: Math.min(4, Math.max(1, availableParallelism() - 1)),
      min: 0,
      max: 64,
    }),
    'place-thread': Flags.boolean({
      description:
        'place stored profiles into their levels on a thread of their own (--no-place-thread: on the one that answers requests)',
      default: true,
      allowNo: true,
    }),
    ...storeFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Server);
    const maxBody = parseSize(flags['max-body']);
    if (maxBody === undefined || maxBody <= 0)
      throw new PyroError(`--max-body ${flags['max-body']}: expected a size such as 64MB or 512k`, 2);
    if (flags['basic-auth'] !== undefined && !flags['basic-auth'].includes(':'))
      throw new PyroError('--basic-auth: expected user:password', 2);
    const dir = await storeDir(flags.store);
    const running = await startServer({
      host: flags.host,
      port: flags.port,
      storeDir: dir,
      authToken: flags['auth-token'],
      basicAuth: flags['basic-auth'],
      multiTenant: flags['multi-tenant'],
      maxBody,
      timeoutMs: durationFlag(flags.timeout, '--timeout'),
      log: (line) => process.stderr.write(`pyro server: ${line}\n`),
      readers: { script: this.workerScript('ingest-worker.cjs'), threads: flags['read-threads'] },
      placer: flags['place-thread'] ? this.workerScript('place-worker.cjs') : undefined,
    });
    process.stderr.write(`pyro server: listening on ${running.url} (store ${dir}); stop with Ctrl-C\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        running.close().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
