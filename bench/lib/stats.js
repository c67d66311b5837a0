'use strict';
// Summary of one benchmark.js run: the README reports medians (the machine is noisy).

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** {median_ms, mean_ms, rme_pct, samples} of a finished benchmark.js Benchmark. */
function summarize(b) {
  return {
    median_ms: +(median(b.stats.sample) * 1000).toFixed(3),
    mean_ms: +(b.stats.mean * 1000).toFixed(3),
    rme_pct: +b.stats.rme.toFixed(2),
    samples: b.stats.sample.length,
  };
}

module.exports = { median, summarize };
