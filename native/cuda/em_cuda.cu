// Dawid–Skene EM on the GPU; see em_cuda.h. Each step reproduces a loop of
// aggregate_em.cc (named in the comments) with one thread per independent
// sum, so every floating-point sum runs in the CPU's order:
//   counts[code, qblock, k] = sum over the block's answers with that code, in
//     question order (EStep's sink, or CountBlock for the starting posterior);
//   confusion = MStepBlock + Finalize (counts summed over blocks in order);
//   prior = ReducePrior (per-block posterior sums, then over blocks);
//   posterior = EStep (products with exact power-of-two rescaling);
//   log-likelihood = EStep's running mantissa/exponent product per block.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "../parallel.h"
#include "em_cuda.h"
#include "util.cuh"

namespace realabel {
namespace cuda {

namespace {

constexpr int kThreads = 256;
constexpr double kLn2 = 0.693147180559945309417232121458176568;

// aggregate_em.cc's FusedBlocks and BlockStart.
int FusedBlocks(int64_t n, int64_t W, int64_t width, int32_t Q) {
  const int64_t by_size = n / std::max<int64_t>(1, 4 * W * width);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({64, by_size, std::max<int32_t>(Q, 1)})));
}
__host__ __device__ inline long long BlockStart(long long n, int b, int blocks) { return n * b / blocks; }

// Non-negative doubles order like their bit patterns: atomicMax/Min on bits.
__device__ inline void AtomicMaxNonNeg(unsigned long long* slot, double v) {
  atomicMax(slot, static_cast<unsigned long long>(__double_as_longlong(v)));
}
__device__ inline void AtomicMinNonNeg(unsigned long long* slot, double v) {
  atomicMin(slot, static_cast<unsigned long long>(__double_as_longlong(v)));
}

// Per-(code, qblock, k) count sums: the answers of run cb = code * qblocks + qb
// are entries [cbOff[cb], cbOff[cb + 1]) of cbQ, in question order.
__global__ void CountKernel(const long long* cbOff, const int* cbQ, long long runs, int K, const double* t,
                            double* blk) {
  const long long id = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
  if (id >= runs * K) return;
  const long long cb = id / K;
  const int k = static_cast<int>(id % K);
  double s = 0;
  for (long long j = cbOff[cb]; j < cbOff[cb + 1]; ++j) s += t[static_cast<long long>(cbQ[j]) * K + k];
  blk[id] = s;
}

// Finalize (Dawid–Skene) for worker w and class k; acc[a, k] is the sum over
// question blocks in order. prob layout [(w*A + a)*K + k]. (The smoothing
// penalty needs glibc's log in the CPU's order: the host forms it.)
__global__ void FinalizeKernel(const double* blk, int W, int A, int K, int qblocks, double sm, double* prob,
                               unsigned long long* minpos) {
  const long long id = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
  if (id >= static_cast<long long>(W) * K) return;
  const long long w = id / K;
  const int k = static_cast<int>(id % K);
  auto acc = [&](int a) {
    const double* src = blk + ((w * A + a) * qblocks) * K + k;
    double s = 0;
    for (int qb = 0; qb < qblocks; ++qb) s += src[static_cast<long long>(qb) * K];
    return s;
  };
  double denom = 0;
  for (int a = 0; a < A; ++a) denom += acc(a);
  denom += A * sm;
  double mp = 1;
  for (int a = 0; a < A; ++a) {
    const double p = denom > 0 ? (acc(a) + sm) / denom : 1.0 / A;
    prob[(w * A + a) * K + k] = p;
    if (p > 0 && p < mp) mp = p;
  }
  AtomicMinNonNeg(minpos, mp);
}

// Per-(question block, k) posterior sums in question order (ReducePrior's psum).
__global__ void PsumKernel(const double* t, long long Q, int K, int qblocks, double* psum) {
  const int id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= qblocks * K) return;
  const int b = id / K, k = id % K;
  double s = 0;
  for (long long q = BlockStart(Q, b, qblocks); q < BlockStart(Q, b + 1, qblocks); ++q) s += t[q * K + k];
  psum[id] = s;
}

__global__ void PriorKernel(const double* psum, long long Q, int K, int qblocks, double* prior,
                            unsigned long long* minpos) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= K) return;
  double s = 0;
  for (int b = 0; b < qblocks; ++b) s += psum[b * K + k];
  const double p = Q > 0 ? s / static_cast<double>(Q) : 1.0 / K;
  prior[k] = p;
  if (p > 0) AtomicMinNonNeg(minpos, p);
}

__global__ void LogKernel(const double* x, long long n, double* out) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    out[i] = log(x[i]);
  }
}

// EStep for question q. Writes the posterior, the largest change against
// `old`, and the question's share of the log-likelihood: mantissa f and
// exponent e of its normaliser (probability space) or its log (log space);
// f = 0 marks an impossible question.
__global__ void EStepKernel(const long long* off, const int* code, long long Q, int K, const double* prob,
                            const double* prior, const double* logc, const double* logp, bool logDomain,
                            const double* old, double* post, double* mant, long long* expo,
                            unsigned long long* change) {
  const long long q = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
  if (q >= Q) return;
  const double kTiny = 0x1p-256;
  double p[kEmMaxClasses];
  double sum = 0;
  if (!logDomain) {
    for (int k = 0; k < K; ++k) p[k] = prior[k];
    long long scale = 0;
    for (long long i = off[q]; i < off[q + 1]; ++i) {
      const double* row = prob + static_cast<long long>(code[i]) * K;
      double m = 0;
      for (int k = 0; k < K; ++k) {
        p[k] *= row[k];
        m = p[k] > m ? p[k] : m;
      }
      if (m < kTiny && m > 0) {
        int e = 0;
        frexp(m, &e);
        const double s1 = ldexp(1.0, -e / 2), s2 = ldexp(1.0, -e - (-e / 2));
        for (int k = 0; k < K; ++k) p[k] = p[k] * s1 * s2;
        scale += e;
      }
    }
    for (int k = 0; k < K; ++k) sum += p[k];
    int e = 0;
    mant[q] = sum > 0 ? frexp(sum, &e) : 0.0;
    expo[q] = e + scale;
  } else {
    for (int k = 0; k < K; ++k) p[k] = logp[k];
    for (long long i = off[q]; i < off[q + 1]; ++i) {
      const double* row = logc + static_cast<long long>(code[i]) * K;
      for (int k = 0; k < K; ++k) p[k] += row[k];
    }
    double m = p[0];
    for (int k = 1; k < K; ++k) m = p[k] > m ? p[k] : m;
    if (m != -INFINITY && !isnan(m)) {
      for (int k = 0; k < K; ++k) {
        p[k] = exp(p[k] - m);
        sum += p[k];
      }
      mant[q] = m + log(sum);  // a log, flagged by expo = 1
      expo[q] = 1;
    } else {
      mant[q] = 0;
      expo[q] = 0;
    }
  }
  double ch = 0;
  double* t = post + q * K;
  if (sum > 0) {
    const double inv = 1 / sum;
    for (int k = 0; k < K; ++k) t[k] = p[k] * inv;
  } else {
    for (int k = 0; k < K; ++k) t[k] = 1.0 / K;
  }
  if (old) {
    for (int k = 0; k < K; ++k) {
      const double d = fabs(t[k] - old[q * K + k]);
      ch = d > ch ? d : ch;
    }
    AtomicMaxNonNeg(change, ch);
  }
}

// EStep's per-block log-likelihood: the running product of normaliser
// mantissas, renormalised below 2^-512, exactly as the CPU walks a block.
// The host takes the final log (glibc's, as the CPU), so the log-likelihood
// and with it the stopping rule match the CPU bit for bit in probability space.
__global__ void BlockLlKernel(const double* mant, const long long* expo, long long Q, int qblocks, bool logDomain,
                              double* bprod, long long* bexps, double* blogsum) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= qblocks) return;
  const double kProdFloor = 0x1p-512;
  double prod = 1, logsum = 0;
  long long exps = 0;
  for (long long q = BlockStart(Q, b, qblocks); q < BlockStart(Q, b + 1, qblocks); ++q) {
    if (logDomain) {
      logsum += expo[q] ? mant[q] : -INFINITY;
      continue;
    }
    if (mant[q] == 0) {
      logsum += -INFINITY;
      continue;
    }
    prod *= mant[q];
    exps += expo[q];
    if (prod < kProdFloor) {
      int e2 = 0;
      prod = frexp(prod, &e2);
      exps += e2;
    }
  }
  bprod[b] = prod;
  bexps[b] = exps;
  blogsum[b] = logsum;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename T>
void Upload(DeviceBuffer<T>* d, const std::vector<T>& h) {
  d->Reset(h.size());
  if (!h.empty()) RL_CUDA(cudaMemcpy(d->get(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
}

double MinFromBits(unsigned long long bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

bool EmOnGpu(const aggregate::EmOptions& opt, int32_t K) {
  return opt.method == aggregate::Method::kDawidSkene && K >= 1 && K <= kEmMaxClasses;
}

void RunEmGpu(const aggregate::Answers& ans, const aggregate::EmOptions& opt, const double* init, aggregate::EmOutput* out,
              double* transferSeconds) {
  if (!EmOnGpu(opt, ans.K)) throw Error{"EM on the GPU supports Dawid–Skene with at most 32 classes"};
  const auto t0 = std::chrono::steady_clock::now();
  RL_CUDA(cudaSetDevice(0));
  const int32_t Q = ans.Q, W = ans.W, A = ans.A, K = ans.K;
  const int64_t n = ans.n, codes = static_cast<int64_t>(W) * A;
  const int qblocks = FusedBlocks(n, W, static_cast<int64_t>(A) * K, Q);
  // QuestionCsr: answers grouped by question, stable.
  std::vector<long long> off(static_cast<size_t>(Q) + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++off[ans.q[i] + 1];
  for (int32_t q = 0; q < Q; ++q) off[q + 1] += off[q];
  std::vector<int> code(static_cast<size_t>(n)), qOf(static_cast<size_t>(n));
  {
    std::vector<long long> pos(off.begin(), off.end() - 1);
    for (int64_t i = 0; i < n; ++i) {
      const long long p = pos[ans.q[i]]++;
      code[p] = ans.w[i] * A + ans.a[i];
      qOf[p] = ans.q[i];
    }
  }
  // Runs (code, qblock) in CSR order: a stable counting sort of the CSR
  // positions by code * qblocks + block(question).
  std::vector<int> qblk(static_cast<size_t>(Q));
  for (int b = 0; b < qblocks; ++b) {
    for (long long q = BlockStart(Q, b, qblocks); q < BlockStart(Q, b + 1, qblocks); ++q) qblk[q] = b;
  }
  const long long runs = codes * qblocks;
  std::vector<long long> cbOff(static_cast<size_t>(runs) + 1, 0);
  for (int64_t p = 0; p < n; ++p) ++cbOff[static_cast<long long>(code[p]) * qblocks + qblk[qOf[p]] + 1];
  for (long long r = 0; r < runs; ++r) cbOff[r + 1] += cbOff[r];
  std::vector<int> cbQ(static_cast<size_t>(n));
  {
    std::vector<long long> pos(cbOff.begin(), cbOff.end() - 1);
    for (int64_t p = 0; p < n; ++p) cbQ[pos[static_cast<long long>(code[p]) * qblocks + qblk[qOf[p]]]++] = qOf[p];
  }
  DeviceBuffer<long long> dOff, dCbOff, dExpo(static_cast<size_t>(Q));
  DeviceBuffer<int> dCode, dCbQ;
  Upload(&dOff, off);
  Upload(&dCode, code);
  Upload(&dCbOff, cbOff);
  Upload(&dCbQ, cbQ);
  const size_t QK = static_cast<size_t>(Q) * K;
  DeviceBuffer<double> cur(QK), next(QK), blk(static_cast<size_t>(runs) * K), prob(static_cast<size_t>(codes) * K),
      logc(static_cast<size_t>(codes) * K), psum(static_cast<size_t>(qblocks) * K), prior(K), logp(K),
      mant(static_cast<size_t>(Q)), bprod(qblocks), blogsum(qblocks);
  DeviceBuffer<long long> bexps(qblocks);
  DeviceBuffer<unsigned long long> scal(2);  // [0] minpos bits, [1] change bits
  if (QK > 0) RL_CUDA(cudaMemcpy(cur.get(), init, QK * sizeof(double), cudaMemcpyHostToDevice));
  RL_CUDA(cudaMemset(prob.get(), 0, prob.size() * sizeof(double)));
  if (transferSeconds) *transferSeconds = Seconds(t0);

  const double one = 1.0;
  unsigned long long oneBits;
  std::memcpy(&oneBits, &one, sizeof one);
  std::vector<double> hProd(qblocks), hLogsum(qblocks), hProb(opt.smoothing > 0 ? prob.size() : 0);
  std::vector<long long> hExps(qblocks);
  auto reducePrior = [&] {
    PsumKernel<<<GridFor(qblocks * K, kThreads), kThreads>>>(cur.get(), Q, K, qblocks, psum.get());
    PriorKernel<<<GridFor(K, kThreads), kThreads>>>(psum.get(), Q, K, qblocks, prior.get(), scal.get());
    RL_LAUNCHED("EM prior");
  };
  for (int32_t it = 0; it < opt.max_iter; ++it) {
    CheckAbort();
    // M-step: counts of the current posterior, confusion, prior, number space.
    RL_CUDA(cudaMemcpy(scal.get(), &oneBits, sizeof oneBits, cudaMemcpyHostToDevice));
    if (runs * K > 0) CountKernel<<<GridFor(runs * K, kThreads, 1 << 30), kThreads>>>(dCbOff.get(), dCbQ.get(), runs, K, cur.get(), blk.get());
    if (W > 0) FinalizeKernel<<<GridFor(static_cast<long long>(W) * K, kThreads, 1 << 30), kThreads>>>(blk.get(), W, A, K, qblocks, opt.smoothing, prob.get(), scal.get());
    RL_LAUNCHED("EM M-step");
    reducePrior();
    unsigned long long minBits = 0;
    RL_CUDA(cudaMemcpy(&minBits, scal.get(), sizeof minBits, cudaMemcpyDeviceToHost));
    const bool logDomain = MinFromBits(minBits) < 0x1p-1000;
    if (logDomain) {
      LogKernel<<<GridFor(static_cast<long long>(prob.size()), kThreads, 4096), kThreads>>>(prob.get(), prob.size(), logc.get());
      LogKernel<<<1, kThreads>>>(prior.get(), K, logp.get());
      RL_LAUNCHED("EM log space");
    }
    // E-step.
    const unsigned long long zero = 0;
    RL_CUDA(cudaMemcpy(scal.get() + 1, &zero, sizeof zero, cudaMemcpyHostToDevice));
    if (Q > 0) {
      EStepKernel<<<GridFor(Q, kThreads, 1 << 30), kThreads>>>(dOff.get(), dCode.get(), Q, K, prob.get(), prior.get(), logc.get(), logp.get(), logDomain, cur.get(), next.get(), mant.get(), dExpo.get(), scal.get() + 1);
    }
    BlockLlKernel<<<GridFor(qblocks, kThreads), kThreads>>>(mant.get(), dExpo.get(), Q, qblocks, logDomain, bprod.get(), bexps.get(), blogsum.get());
    RL_LAUNCHED("EM E-step");
    unsigned long long changeBits = 0;
    RL_CUDA(cudaMemcpy(&changeBits, scal.get() + 1, sizeof changeBits, cudaMemcpyDeviceToHost));
    RL_CUDA(cudaMemcpy(hProd.data(), bprod.get(), hProd.size() * sizeof(double), cudaMemcpyDeviceToHost));
    RL_CUDA(cudaMemcpy(hExps.data(), bexps.get(), hExps.size() * sizeof(long long), cudaMemcpyDeviceToHost));
    RL_CUDA(cudaMemcpy(hLogsum.data(), blogsum.get(), hLogsum.size() * sizeof(double), cudaMemcpyDeviceToHost));
    // EStepFinish: EStep's block log-likelihoods summed in block order.
    double ll = 0;
    for (int b = 0; b < qblocks; ++b) ll += std::log(hProd[b]) + static_cast<double>(hExps[b]) * kLn2 + hLogsum[b];
    // MStepFinish's smoothing penalty in Finalize's order (per worker: k, then a), summed over workers.
    double penalty = 0;
    if (!hProb.empty()) {
      RL_CUDA(cudaMemcpy(hProb.data(), prob.get(), hProb.size() * sizeof(double), cudaMemcpyDeviceToHost));
      for (int32_t w = 0; w < W; ++w) {
        double pw = 0;
        for (int32_t k = 0; k < K; ++k) {
          for (int32_t a = 0; a < A; ++a) pw += opt.smoothing * std::log(hProb[(static_cast<size_t>(w) * A + a) * K + k]);
        }
        penalty += pw;
      }
    }
    out->log_likelihood.push_back(ll);
    out->objective.push_back(ll + penalty);
    out->iterations += 1;
    cur.Swap(next);
    if (aggregate::EmConverged(opt, out->objective, MinFromBits(changeBits), n)) out->converged = true;
    if (out->converged) break;
  }
  if (out->iterations == 0) reducePrior();
  // Emit.
  if (QK > 0) RL_CUDA(cudaMemcpy(out->posterior, cur.get(), QK * sizeof(double), cudaMemcpyDeviceToHost));
  hProb.resize(prob.size());
  if (!hProb.empty()) RL_CUDA(cudaMemcpy(hProb.data(), prob.get(), hProb.size() * sizeof(double), cudaMemcpyDeviceToHost));
  RL_CUDA(cudaMemcpy(out->prior, prior.get(), K * sizeof(double), cudaMemcpyDeviceToHost));
  for (int32_t w = 0; w < W; ++w) {
    for (int32_t k = 0; k < K; ++k) {
      for (int32_t a = 0; a < A; ++a) {
        out->confusion[(static_cast<int64_t>(w) * K + k) * A + a] = hProb[(static_cast<size_t>(w) * A + a) * K + k];
      }
    }
    if (out->skill) out->skill[w] = 0;
  }
}

}  // namespace cuda
}  // namespace realabel
