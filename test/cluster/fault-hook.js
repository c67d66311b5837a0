/**
 * Test-only faults for cluster workers, loaded with NODE_OPTIONS=--require=<this file>:
 * - REALABEL_TEST_CLUSTER_FAULT=exit:<n>: the worker process exits (no clean-up,
 *   its job lock left behind) when its n-th job starts;
 * - REALABEL_TEST_CLUSTER_VERSION=<v>: the worker poses as realabel <v>.
 * Production workers carry no hook: all of it lives here.
 */
const path = require('node:path');

const dist = path.resolve(__dirname, '..', '..', 'dist', 'cluster');
const fault = process.env.REALABEL_TEST_CLUSTER_FAULT;
if (fault) {
  const nth = Number(fault.split(':')[1]);
  const { HANDLERS } = require(path.join(dist, 'handlers.js'));
  let jobs = 0;
  for (const kind of Object.keys(HANDLERS)) {
    const real = HANDLERS[kind];
    HANDLERS[kind] = (...args) => {
      if (++jobs === nth) process.exit(70);
      return real(...args);
    };
  }
}
if (process.env.REALABEL_TEST_CLUSTER_VERSION) require(path.join(dist, 'jobs.js')).VERSION = process.env.REALABEL_TEST_CLUSTER_VERSION;
