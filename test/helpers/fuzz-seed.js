/**
 * Jest setup file (every test file): every fast-check property runs from a
 * fixed seed, so two runs of the same tree test the same inputs and CI cannot
 * fail at random. `npm run fuzz` (scripts/fuzz.js) sets REALABEL_FUZZ_SEED to
 * a fresh seed to explore; a failure prints the seed that reproduces it.
 */
const fc = require('fast-check');

fc.configureGlobal({ seed: Number(process.env.REALABEL_FUZZ_SEED ?? 20201222) });
