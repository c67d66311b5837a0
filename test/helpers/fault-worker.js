/** The Piscina task wrapper of worker-fault.js: maybe fail, then run the real worker's function. */
const path = require('node:path');

let tasks = 0;

module.exports = function faultWorker({ target, name, task, spec }) {
  const [stage, kind, nth] = spec.split(':');
  // A stage is the folder of its worker module: dist/propose/worker.js -> propose.
  const isDefault = !name || name === 'default';
  if (isDefault && path.basename(path.dirname(target)) === stage && ++tasks === Number(nth)) {
    if (kind === 'exit') process.exit(70);
    if (kind === 'throw') throw new Error(`injected fault in a ${stage} worker`);
  }
  const mod = require(target);
  const fn = isDefault ? (mod.default ?? mod) : mod[name];
  return fn(task);
};
