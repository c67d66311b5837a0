/**
 * Test hook for worker failures. With REALABEL_TEST_WORKER_FAULT set to
 * `<stage>:<exit|throw>:<n>`, the n-th task a worker thread of that stage
 * runs calls process.exit (the thread dies) or throws a plain Error. Tests
 * use it to check that a dying worker fails the command cleanly; it is inert
 * unless that variable is set.
 */
let tasks = 0;

export function workerFaultHook(stage: string): void {
  const spec = process.env.REALABEL_TEST_WORKER_FAULT;
  if (!spec) return;
  const [name, kind, nth] = spec.split(':');
  if (name !== stage || ++tasks !== Number(nth)) return;
  if (kind === 'exit') process.exit(70);
  if (kind === 'throw') throw new Error(`injected fault in a ${stage} worker`);
}
