// Loaded into every Node.js process and worker thread of a `pyro record`
// (NODE_OPTIONS=--require): starts V8's sampling profiler through the built-in
// inspector (the CPU profiler, or with PYRO_RECORD_KIND=heap the sampling heap
// profiler) and writes what it sampled into $PYRO_RECORD_DIR as .cpuprofile
// (.heapprofile) files: when the thread exits, every $PYRO_RECORD_INTERVAL_MS in continuous
// mode, and when pyro asks (a file named "stop" appears) before it forwards a
// signal. Plain CommonJS with no dependencies: it runs inside the user's program.
//
// A process's main thread is profiled from a worker thread of ours
// (Session.connectToMainThread): inspector calls reach the main thread as V8
// interrupts, so a profile is taken even while the program's JavaScript runs a
// long synchronous loop, and no signal handler of ours changes how the program
// reacts to Ctrl-C. The program's own worker threads profile themselves.
'use strict';
const dir = process.env.PYRO_RECORD_DIR;
const threads = require('node:worker_threads');
if (dir && !threads.workerData?.pyroProfiler) {
  const path = require('node:path');
  // A worker thread has no script in its argv: it is labelled with its process's (passed on in the environment).
  const script = threads.isMainThread ? process.argv[1] : process.env.PYRO_RECORD_COMMAND;
  const command = path.basename(script || process.argv0 || 'node').replace(/[^\w.-]/g, '_');
  if (threads.isMainThread) process.env.PYRO_RECORD_COMMAND = script || '';
  const options = {
    dir,
    command,
    pid: process.pid,
    thread: threads.threadId,
    intervalUs: Number(process.env.PYRO_RECORD_SAMPLING_US) || 10000,
    heap: process.env.PYRO_RECORD_KIND === 'heap',
    everyMs: Number(process.env.PYRO_RECORD_INTERVAL_MS) || 0,
  };
  if (threads.isMainThread) {
    // Set by our worker: [0] once the last profile is written, [1] once the profiler runs.
    const done = new Int32Array(new SharedArrayBuffer(8));
    let worker;
    try {
      worker = new threads.Worker(`(${profiler.toString()})(require('node:worker_threads').workerData)`, {
        eval: true,
        workerData: { pyroProfiler: true, options, done },
        stdout: false,
        stderr: false,
      });
      worker.unref();
      worker.on('error', () => {});
    } catch {
      // No worker threads (a restricted runtime): run unprofiled.
    }
    if (worker) {
      // The program starts once it is sampled. The wait is a loop, not Atomics.wait: JavaScript
      // must run for the worker's calls (V8 interrupts) to reach this thread.
      const ready = Date.now() + 2000;
      while (Atomics.load(done, 1) === 0 && Date.now() < ready);
      process.on('exit', () => {
        if (Atomics.load(done, 0) !== 0) return;
        worker.postMessage('stop');
        // JavaScript must run for the worker's calls to reach this thread: wait in a loop, not Atomics.wait.
        const deadline = Date.now() + 5000;
        while (Atomics.load(done, 0) === 0 && Date.now() < deadline);
      });
    }
  } else {
    profiler({ options, done: undefined });
  }
}

/**
 * Profiles one thread: the main thread from our worker (done set when the last
 * profile is written), or, called in a worker of the program, that worker itself.
 * Self-contained: its source is evaluated in our worker.
 */
function profiler({ options, done }) {
  const fs = require('node:fs');
  const path = require('node:path');
  const inspector = require('node:inspector');
  const threads = require('node:worker_threads');
  const ownThread = done === undefined;
  const session = new inspector.Session();
  let from = 0;
  let part = 0;
  let running = false;
  let finished = false;

  // The profiler's protocol: CPU samples, or the sampling heap profiler (a sample per 32 kB allocated, as DevTools).
  const startProfiler = (then) =>
    options.heap
      ? session.post('HeapProfiler.startSampling', { samplingInterval: 32 * 1024 }, then)
      : session.post('Profiler.start', then);
  const stopMethod = options.heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop';
  const extension = options.heap ? 'heapprofile' : 'cpuprofile';
  // A file per part, named <pid>-<thread>-<part>-<from>-<until>-<command>.<extension>, written aside and renamed.
  const write = (profile, start, until) => {
    const name = `${options.pid}-${options.thread}-${part++}-${start}-${until}-${options.command}.${extension}`;
    const tmp = path.join(options.dir, `.${name}.tmp`);
    try {
      fs.writeFileSync(tmp, JSON.stringify(profile));
      fs.renameSync(tmp, path.join(options.dir, name));
    } catch {
      // The recording directory is gone (pyro was killed): nothing to hand the profile to.
    }
  };
  // Ends the current part, then calls `then`; `again`: a new part starts where it ended (contiguous
  // time ranges). In the program's own threads the session answers synchronously: this works in 'exit' handlers.
  const cut = (again, then) => {
    if (!running) {
      if (then) then();
      return;
    }
    running = false;
    const start = from;
    const until = Date.now();
    session.post(stopMethod, (err, r) => {
      if (!err && r) write(r.profile, start, until);
      if (then) then();
    });
    if (again) {
      from = until;
      running = true;
      startProfiler();
    }
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    cut(false, () => {
      try {
        fs.writeFileSync(path.join(options.dir, `${options.pid}-${options.thread}.saved`), '');
      } catch {}
      if (done) Atomics.store(done, 0, 1);
    });
  };

  try {
    if (ownThread) session.connect();
    else session.connectToMainThread();
    if (options.heap) session.post('HeapProfiler.enable');
    else {
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: options.intervalUs });
    }
    startProfiler(() => {
      if (done) Atomics.store(done, 1, 1);
    });
    from = Date.now();
    running = true;
    fs.writeFileSync(path.join(options.dir, `${options.pid}-${options.thread}.live`), '');
  } catch {
    // Another inspector client owns the profiler (a debugger): run unprofiled.
    if (done) {
      Atomics.store(done, 0, 1);
      Atomics.store(done, 1, 1);
    }
    return;
  }
  const timers = [];
  if (options.everyMs > 0) timers.push(setInterval(() => cut(true), options.everyMs));
  // pyro asks for the profile before it forwards a signal: a file named "stop".
  timers.push(
    setInterval(() => {
      if (fs.existsSync(path.join(options.dir, 'stop'))) {
        for (const t of timers) clearInterval(t);
        finish();
      }
    }, 50),
  );
  for (const t of timers) t.unref();
  if (ownThread) process.on('exit', () => finish());
  else threads.parentPort.on('message', () => finish());
}
