/**
 * Test-only worker fault injection, loaded into a CLI run with
 * NODE_OPTIONS=--require=<this file> and REALABEL_TEST_WORKER_FAULT set to
 * `<stage>:<exit|throw>:<n>`: every Piscina task is routed through
 * fault-worker.js, whose n-th task in a worker thread of that stage calls
 * process.exit (the thread dies) or throws a plain Error before running the
 * real worker. Production workers carry no hook: all of it lives here.
 */
const path = require('node:path');

const spec = process.env.REALABEL_TEST_WORKER_FAULT;
const { isMainThread } = require('node:worker_threads');
if (spec && isMainThread) {
  const Piscina = require('piscina');
  const Pool = Piscina.default ?? Piscina;
  const run = Pool.prototype.run;
  const wrapper = path.join(__dirname, 'fault-worker.js');
  Pool.prototype.run = function runWithFault(task, options = {}) {
    const target = options.filename ?? this.options.filename;
    return run.call(this, { target, name: options.name, task, spec }, { ...options, filename: wrapper, name: 'default' });
  };
}
