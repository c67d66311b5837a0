"""Vectorised NumPy Dawid-Skene EM: the same model, start and iteration count
as realabel's native kernel (verification mode: classes absent/present,
answers no/maybe/yes, majority-vote start, no smoothing), for bench/aggregate.js.

Usage: python3 ds_numpy.py RATERS.npz ITERATIONS REPEATS
Prints one JSON object: median ms per iteration and the final log-likelihood.
"""
import json
import sys
import time

import numpy as np


def load(path):
    z = np.load(path)
    t = z["tensor"]
    r, q, a = np.nonzero(t)  # answers sorted by (rater, question), as realabel reads them
    return q.astype(np.int64), r.astype(np.int64), a.astype(np.int64), t.shape[1], t.shape[0], t.shape[2]


def majority_vote(q, a, Q, A):
    v = a / (A - 1)
    mv = np.bincount(q, v, Q) / np.maximum(np.bincount(q, minlength=Q), 1)
    return np.stack([1 - mv, mv], 1)


def em(q, w, a, Q, W, A, T, iters):
    K = T.shape[1]
    code = w * A + a
    lls = []
    for _ in range(iters):
        # M-step: soft counts of (worker, answer) per class, normalised per (worker, class).
        counts = np.stack([np.bincount(code, T[q, k], W * A) for k in range(K)], 1).reshape(W, A, K)
        denom = counts.sum(1, keepdims=True)
        C = np.where(denom > 0, counts / np.where(denom > 0, denom, 1), 1.0 / A)
        prior = T.mean(0)
        # E-step in log space.
        with np.errstate(divide="ignore"):
            logc = np.log(C).reshape(W * A, K)
            lp = np.log(prior) + np.stack([np.bincount(q, logc[code, k], Q) for k in range(K)], 1)
        m = lp.max(1, keepdims=True)
        e = np.exp(lp - m)
        s = e.sum(1, keepdims=True)
        lls.append(float((m[:, 0] + np.log(s[:, 0])).sum()))
        T = e / s
    return T, lls


def main():
    path, iters, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    q, w, a, Q, W, A = load(path)
    T0 = majority_vote(q, a, Q, A)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        T, lls = em(q, w, a, Q, W, A, T0, iters)
        times.append((time.perf_counter() - t0) * 1000 / iters)
    print(json.dumps({"ms_per_iter": sorted(times)[len(times) // 2], "all_ms_per_iter": times, "iterations": iters,
                      "log_likelihood": lls[-1], "numpy": np.__version__}))


if __name__ == "__main__":
    main()
