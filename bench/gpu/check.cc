// Standalone test-and-bench of the CUDA kernels against the CPU cores on
// generated data (no Node: the GPU machine has none). bench/gpu-check.sh
// builds it with the `cuda` CMake preset and runs it once; it prints one JSON
// document (and writes it to --out). Every case records whether the GPU
// result equals the CPU result (top-K and pooling: same bytes; EM: same
// iterations and posteriors within 1e-12) and the times: CPU, GPU with the
// host-to-GPU transfer, and (top-K) GPU on rows already in GPU memory.
//
//   realabel_gpu_check [--out FILE] [--small] [--dry]
//
// Exit status: 0 all equal, 1 a mismatch or failure, 2 no GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aggregate_core.h"
#include "cuda/device.h"
#include "cuda/em_cuda.h"
#include "cuda/pool_cuda.h"
#include "cuda/topk_cuda.h"
#include "parallel.h"
#include "pool_core.h"
#include "topk_core.h"

using namespace realabel;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// splitmix64: a fast, seedable generator (one stream per row or block, so
// generation runs on every core and never depends on the thread count).
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1p-53; }
  double Normal() {  // Box–Muller
    const double u = std::max(Uniform(), 1e-300), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

void ParallelRows(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  const int threads = ResolveThreads(0);
  ParallelBlocks(n, threads * 4, threads, [&](int, int64_t s, int64_t e) { fn(s, e); });
}

// Logits of an [n, c] classifier: a few confident classes per row, quantised
// to 1/64 when `ties` so that equal keys (and tie-breaking) are common.
std::vector<float> Logits(int64_t n, int64_t c, uint64_t seed, bool ties) {
  std::vector<float> x(static_cast<size_t>(n * c));
  ParallelRows(n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      Rng g{seed * 0x100000001b3ULL + static_cast<uint64_t>(r)};
      float* row = x.data() + r * c;
      for (int64_t j = 0; j < c; ++j) {
        double v = g.Normal() * 2.0;
        if (ties) v = std::round(v * 64) / 64;
        row[j] = static_cast<float>(v);
      }
      for (int t = 0; t < 3; ++t) row[g.Next() % c] += static_cast<float>(6 + 4 * g.Uniform());
    }
  });
  return x;
}

struct Json {
  std::ostringstream s;
  Json() = default;
  Json(const Json& o) : first(o.first) { s << o.s.str(); }
  bool first = true;
  void Key(const std::string& k) {
    s << (first ? "" : ",") << "\"" << k << "\":";
    first = false;
  }
  void Num(const std::string& k, double v) {
    Key(k);
    if (std::isfinite(v)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6g", v);
      s << buf;
    } else {
      s << "null";
    }
  }
  void Bool(const std::string& k, bool v) {
    Key(k);
    s << (v ? "true" : "false");
  }
  void Str(const std::string& k, const std::string& v) {
    Key(k);
    s << "\"";
    for (char ch : v) s << (ch == '"' || ch == '\\' ? "\\" : "") << ch;
    s << "\"";
  }
  std::string Done() const { return "{" + s.str() + "}"; }
};

bool all_ok = true;

struct TopkOut {
  std::vector<topk::Cand> best;
  std::vector<float> values;
};

bool SamePairs(const TopkOut& a, const TopkOut& b, std::string* why) {
  if (a.best.size() != b.best.size()) {
    *why = "sizes differ";
    return false;
  }
  for (size_t i = 0; i < a.best.size(); ++i) {
    uint64_t ka, kb;
    std::memcpy(&ka, &a.best[i].key, 8);
    std::memcpy(&kb, &b.best[i].key, 8);
    uint32_t va, vb;
    std::memcpy(&va, &a.values[i], 4);
    std::memcpy(&vb, &b.values[i], 4);
    if (a.best[i].idx != b.best[i].idx || ka != kb || va != vb) {
      *why = "first difference at rank " + std::to_string(i) + ": cpu idx " + std::to_string(a.best[i].idx) +
             ", gpu idx " + std::to_string(b.best[i].idx);
      return false;
    }
  }
  return true;
}

// One top-K case: CPU, GPU from host memory (twice: cold, warm), GPU from
// device memory; `blockValues` > 0 forces small row blocks (streaming).
std::string TopkCase(const char* name, const std::vector<float>& x, int64_t n, int64_t c, int64_t k,
                     topk::Criterion crit, int64_t blockValues, bool deviceRun) {
  Json j;
  j.Str("case", name);
  j.Num("n", static_cast<double>(n));
  j.Num("c", static_cast<double>(c));
  j.Num("k", static_cast<double>(k));
  j.Str("criterion", crit == topk::kLogit ? "logit" : "prob");
  TopkOut cpu, gpu;
  double t0 = Now();
  {
    topk::Selector s(c, k, crit, 0, topk_rows::BestIsa());
    s.Push(x.data(), n, true);
    cpu.best = s.Finish();
    cpu.values.resize(cpu.best.size());
    s.Values(cpu.best, cpu.values.data());
  }
  j.Num("cpu_s", Now() - t0);
  j.Num("cpu_threads", ResolveThreads(0));
  try {
    for (int run = 0; run < 2; ++run) {
      t0 = Now();
      cuda::TopkGpu s(c, k, crit, blockValues);
      s.Push(x.data(), n);
      gpu.best = s.Finish();
      gpu.values.resize(gpu.best.size());
      s.Values(gpu.best, gpu.values.data());
      j.Num(run == 0 ? "gpu_with_transfer_cold_s" : "gpu_with_transfer_s", Now() - t0);
      if (run == 1) {
        j.Num("gpu_copy_s", s.copy_seconds());
        j.Num("gpu_sampled", static_cast<double>(s.sampled()));
        j.Num("gpu_fallbacks", static_cast<double>(s.fallbacks()));
      }
    }
    std::string why;
    bool same = SamePairs(cpu, gpu, &why);
    if (deviceRun) {
      float* d = nullptr;
      if (cudaMalloc(&d, x.size() * sizeof(float)) == cudaSuccess) {
        cudaMemcpy(d, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice);
        t0 = Now();
        cuda::TopkGpu s(c, k, crit, blockValues);
        s.PushDevice(d, n);
        TopkOut dev;
        dev.best = s.Finish();
        dev.values.resize(dev.best.size());
        s.Values(dev.best, dev.values.data());
        j.Num("gpu_resident_s", Now() - t0);
        std::string why2;
        if (!SamePairs(cpu, dev, &why2)) {
          same = false;
          why += " resident: " + why2;
        }
        cudaFree(d);
      } else {
        cudaGetLastError();
        j.Str("gpu_resident", "matrix does not fit in GPU memory");
      }
    }
    j.Bool("equal", same);
    if (!same) j.Str("mismatch", why);
    all_ok = all_ok && same;
  } catch (const std::exception& e) {
    j.Str("error", e.what());
    all_ok = false;
  }
  return j.Done();
}

// A NaN in the matrix: both backends fail with the same message.
std::string NonFiniteCase() {
  const int64_t n = 2000, c = 100;
  std::vector<float> x = Logits(n, c, 7, false);
  x[1234 * c + 56] = std::numeric_limits<float>::quiet_NaN();
  x[1500 * c + 3] = std::numeric_limits<float>::infinity();
  Json j;
  j.Str("case", "non-finite");
  std::string cpuMsg, gpuMsg;
  try {
    topk::Selector s(c, 10, topk::kProb, 0, topk_rows::BestIsa());
    s.Push(x.data(), n, true);
  } catch (const DataError& e) {
    cpuMsg = e.what();
  }
  try {
    cuda::TopkGpu s(c, 10, topk::kProb, 50 * c);
    s.Push(x.data(), n);
  } catch (const std::exception& e) {
    gpuMsg = e.what();
  }
  j.Str("cpu", cpuMsg);
  j.Str("gpu", gpuMsg);
  const bool same = !cpuMsg.empty() && cpuMsg == gpuMsg;
  j.Bool("equal", same);
  all_ok = all_ok && same;
  return j.Done();
}

std::string PoolCase(int64_t n, int64_t c, int models, int64_t perSource) {
  Json j;
  j.Str("case", "pool");
  const int sources = 2 * models;
  std::vector<int32_t> image, label, offsets{0}, model, forced;
  Rng g{99};
  for (int s = 0; s < sources; ++s) {
    for (int64_t i = 0; i < perSource; ++i) {
      const int64_t im = static_cast<int64_t>(g.Next() % n);
      image.push_back(static_cast<int32_t>(im));
      label.push_back(static_cast<int32_t>((im * 7 + static_cast<int64_t>(g.Next() % 4)) % c));  // overlapping proposals
    }
    offsets.push_back(static_cast<int32_t>(image.size()));
    model.push_back(s / 2);
  }
  for (int f = 0; f < 2; ++f) {
    for (int64_t i = 0; i < n; ++i) forced.push_back(static_cast<int32_t>((i * 7 + f) % c));
  }
  pool::Input in;
  in.n = n;
  in.c = c;
  in.models = models;
  in.minVotes = 3;
  in.srcImage = image.data();
  in.srcImageLen = static_cast<int64_t>(image.size());
  in.srcLabel = label.data();
  in.srcLabelLen = in.srcImageLen;
  in.srcOffsets = offsets.data();
  in.srcOffsetsLen = static_cast<int64_t>(offsets.size());
  in.srcModel = model.data();
  in.sources = sources;
  in.forced = forced.data();
  in.forcedLen = static_cast<int64_t>(forced.size());
  pool::Check(in);
  j.Num("occurrences", static_cast<double>(in.srcImageLen + in.forcedLen));
  double t0 = Now();
  pool::Pooler cpu(in);
  const size_t P = cpu.pairs();
  std::vector<int32_t> ci(P), cl(P), cv(P);
  std::vector<uint32_t> cm(P * cpu.words() * cpu.planes());
  cpu.Fill(ci.data(), cl.data(), cv.data(), cm.data());
  j.Num("cpu_s", Now() - t0);
  j.Num("pairs", static_cast<double>(P));
  try {
    t0 = Now();
    cuda::PoolGpu gpu(in);
    std::vector<int32_t> gi(gpu.pairs()), gl(gpu.pairs()), gv(gpu.pairs());
    std::vector<uint32_t> gm(gpu.pairs() * gpu.words() * gpu.planes());
    gpu.Fill(gi.data(), gl.data(), gv.data(), gm.data());
    j.Num("gpu_with_transfer_s", Now() - t0);
    const bool same = gpu.planes() == cpu.planes() && gpu.words() == cpu.words() && gi == ci && gl == cl && gv == cv && gm == cm;
    j.Bool("equal", same);
    all_ok = all_ok && same;
  } catch (const std::exception& e) {
    j.Str("error", e.what());
    all_ok = false;
  }
  return j.Done();
}

// Raters-like answers: each question answered by `per` workers drawn from W,
// each worker with a confusion matrix near the identity (some spammers).
std::string EmCase(const char* name, int64_t answers, int32_t K, int32_t A, int32_t W, int per, int maxIter) {
  Json j;
  j.Str("case", name);
  const int32_t Q = static_cast<int32_t>(answers / per);
  j.Num("answers", static_cast<double>(static_cast<int64_t>(Q) * per));
  j.Num("questions", Q);
  j.Num("workers", W);
  j.Num("classes", K);
  j.Num("answer_values", A);
  std::vector<int32_t> q(static_cast<size_t>(Q) * per), w(q.size()), a(q.size());
  std::vector<double> skill(W);
  Rng g0{4242};
  for (auto& s : skill) s = g0.Uniform() < 0.1 ? 1.0 / A : 0.6 + 0.39 * g0.Uniform();
  ParallelRows(Q, [&](int64_t q0, int64_t q1) {
    for (int64_t qq = q0; qq < q1; ++qq) {
      Rng g{static_cast<uint64_t>(qq) * 31 + 5};
      const int32_t truth = static_cast<int32_t>(g.Next() % K);
      for (int r = 0; r < per; ++r) {
        const size_t i = static_cast<size_t>(qq) * per + r;
        const int32_t wk = static_cast<int32_t>(g.Next() % W);
        q[i] = static_cast<int32_t>(qq);
        w[i] = wk;
        const int32_t right = truth % A;
        a[i] = g.Uniform() < skill[wk] ? right : static_cast<int32_t>(g.Next() % A);
      }
    }
  });
  aggregate::Answers ans{q.data(), w.data(), a.data(), static_cast<int64_t>(q.size()), Q, W, A, K};
  // Majority-vote start, as aggregate does (votes: answer a -> class a % K).
  std::vector<double> votes(static_cast<size_t>(A) * K, 0), init(static_cast<size_t>(Q) * K);
  for (int32_t v = 0; v < A; ++v) votes[static_cast<size_t>(v) * K + v % K] = 1;
  aggregate::MajorityVote(ans, votes.data(), init.data());
  aggregate::EmOptions opt;
  opt.max_iter = maxIter;
  // The default rule (objective gain per answer) with smoothing: GPU and CPU
  // must stop at the same iteration, so their objectives must agree bit for bit.
  opt.stop = aggregate::StopRule::kLogLikelihood;
  opt.tol = 1e-7;
  opt.smoothing = 0.01;
  std::vector<double> cp(init.size()), cc(static_cast<size_t>(W) * K * A), cpr(K), gp(init.size()),
      gc(cc.size()), gpr(K);
  aggregate::EmOutput co{cp.data(), cc.data(), cpr.data(), nullptr}, go{gp.data(), gc.data(), gpr.data(), nullptr};
  double t0 = Now();
  aggregate::RunEm(ans, opt, init.data(), ResolveThreads(0), &co);
  j.Num("cpu_s", Now() - t0);
  j.Num("cpu_iterations", co.iterations);
  try {
    double transfer = 0;
    t0 = Now();
    cuda::RunEmGpu(ans, opt, init.data(), &go, &transfer);
    j.Num("gpu_with_transfer_s", Now() - t0);
    j.Num("gpu_grouping_and_transfer_s", transfer);
    j.Num("gpu_iterations", go.iterations);
    double dp = 0, dc = 0, dl = 0;
    for (size_t i = 0; i < cp.size(); ++i) dp = std::max(dp, std::fabs(cp[i] - gp[i]));
    for (size_t i = 0; i < cc.size(); ++i) dc = std::max(dc, std::fabs(cc[i] - gc[i]));
    if (!co.log_likelihood.empty() && !go.log_likelihood.empty()) {
      dl = std::fabs(co.log_likelihood.back() - go.log_likelihood.back()) / std::max(1.0, std::fabs(co.log_likelihood.back()));
    }
    j.Num("max_posterior_diff", dp);
    j.Num("max_confusion_diff", dc);
    j.Num("loglik_rel_diff", dl);
    const bool same = co.iterations == go.iterations && co.converged == go.converged && dp <= 1e-12 && dc <= 1e-12;
    j.Bool("equal", same);
    all_ok = all_ok && same;
  } catch (const std::exception& e) {
    j.Str("error", e.what());
    all_ok = false;
  }
  return j.Done();
}

}  // namespace

int main(int argc, char** argv) {
  std::string outPath;
  bool small = false, dry = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) outPath = argv[++i];
    else if (a == "--small") small = true;
    else if (a == "--dry") dry = true;  // run without a GPU: exercises the CPU side, GPU cases record their error
    else {
      std::fprintf(stderr, "usage: realabel_gpu_check [--out FILE] [--small] [--dry]\n");
      return 1;
    }
  }
  Json top;
  top.Str("device", cuda::DeviceName());
  top.Num("cpu_threads", ResolveThreads(0));
  if (cuda::DeviceCount() == 0 && !dry) {
    top.Str("skipped", "no CUDA device");
    std::printf("%s\n", top.Done().c_str());
    return 2;
  }
  const double start = Now();
  std::vector<std::string> cases;
  // The whole document so far (rewritten after every case, so a run cut
  // short by a time limit keeps its finished cases).
  auto document = [&](bool done) {
    Json head = top;
    head.Num("total_s", Now() - start);
    head.Bool("complete", done);
    head.Bool("all_equal", all_ok);
    std::string doc = head.Done();
    doc.pop_back();
    doc += ",\"cases\":[";
    for (size_t i = 0; i < cases.size(); ++i) doc += (i ? ",\n" : "\n") + cases[i];
    return doc + "\n]}\n";
  };
  auto log = [&](const std::string& c) {
    cases.push_back(c);
    std::fprintf(stderr, "[%.0fs] %s\n", Now() - start, c.c_str());
    if (!outPath.empty()) std::ofstream(outPath) << document(false);
  };
  const int64_t c = 1000;
  for (int64_t n : small ? std::vector<int64_t>{5000} : std::vector<int64_t>{50000, 1000000}) {
    std::vector<float> x = Logits(n, c, 1, false);
    for (auto crit : {topk::kLogit, topk::kProb}) log(TopkCase("topk", x, n, c, 5 * n, crit, 0, true));
  }
  {
    const int64_t n = small ? 5000 : 50000;
    std::vector<float> x = Logits(n, c, 2, true);
    for (auto crit : {topk::kLogit, topk::kProb}) {
      log(TopkCase("topk-ties-streamed", x, n, c, 5 * n, crit, 997 * c, false));  // 51 row blocks
      log(TopkCase("topk-ties-k1", x, n, c, 1, crit, 0, false));
    }
  }
  {
    // Rows at the sample positions raised far above the rest: the sampled
    // threshold keeps fewer than K keys, so the push is redone without it.
    const int64_t n = small ? 5000 : 50000, k = 5 * n;
    std::vector<float> x = Logits(n, c, 3, false);
    const double p = static_cast<double>(k) / (static_cast<double>(n) * c);
    const int64_t sRows = static_cast<int64_t>(std::ceil(512 / p / c));
    for (int64_t i = 0; i < sRows; ++i) {
      const int64_t r = std::min(n - 1, static_cast<int64_t>((i + 0.5) * static_cast<double>(n) / sRows));
      for (int64_t jj = 0; jj < c; ++jj) x[r * c + jj] += 50;
    }
    log(TopkCase("topk-sample-fallback", x, n, c, k, topk::kLogit, 997 * c, false));
  }
  log(NonFiniteCase());
  log(PoolCase(small ? 5000 : 50000, 1000, 12, small ? 20000 : 250000));
  for (int64_t answers : small ? std::vector<int64_t>{100000} : std::vector<int64_t>{1000000, 50000000}) {
    const int iters = answers > 10000000 ? 20 : 50;  // keeps the 50M CPU runs inside the time budget
    log(EmCase("em-verification", answers, 2, 3, 2000, 5, iters));
    log(EmCase("em-categorical", answers, 10, 10, 2000, 5, iters));
  }
  const std::string doc = document(true);
  std::printf("%s", doc.c_str());
  if (!outPath.empty()) std::ofstream(outPath) << doc;
  return all_ok ? 0 : 1;
}
