// SPDX-License-Identifier: Apache-2.0
// `amlz export`: the C++ and NumPy emitters. Each op becomes one statement written to match the reference
// interpreter (src/eval/cpu_interpreter.h) operation for operation: the same float32 roundings, sums in index order
// from +0, st.dev. in double with two passes, the edge rules of op_semantics.h, Philox draws keyed by the op's
// source position (core/philox.h, core/random_draws.h).
#include "amlz/core/code_export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "amlz/core/algorithm_text.h"
#include "amlz/core/compile.h"
#include "amlz/error.h"

namespace amlz {
namespace {

struct Sizes {
  int scalars = 2, vectors = 1, matrices = 1;  // s0, s1, v0 always exist; one matrix keeps the arrays non-empty
};

Sizes sizes_used(const Algorithm& a, const LiveMarks& live) {
  Sizes s;
  for (Component c : kAllComponents) {
    const auto& code = a.component(c);
    for (size_t i = 0; i < code.size(); ++i) {
      if (!live[static_cast<int>(c)][i]) continue;
      const OpInfo& info = op_info(code[i].op);
      const std::pair<Kind, uint8_t> operands[] = {
          {info.in1, code[i].in1}, {info.in2, code[i].in2}, {info.out, code[i].out}};
      for (const auto& [kind, address] : operands) {
        if (kind == Kind::Scalar) s.scalars = std::max(s.scalars, address + 1);
        if (kind == Kind::Vector) s.vectors = std::max(s.vectors, address + 1);
        if (kind == Kind::Matrix) s.matrices = std::max(s.matrices, address + 1);
      }
    }
  }
  return s;
}

// The shortest text that reads back to `f` through a double (what Python's float() and a C++ double literal do);
// in the rare case where rounding twice (text -> double -> float) would land elsewhere, the exact double value.
std::string float_text(float f) {
  std::string shortest = format_float(f);
  if (shortest.find_first_of(".e") == std::string::npos) shortest += ".0";  // "-0" would read as the integer 0
  if (static_cast<float>(std::strtod(shortest.c_str(), nullptr)) == f) return shortest;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(f));
  return buf;
}

std::string cpp_float(float f) {
  if (std::isnan(f)) return "std::numeric_limits<float>::quiet_NaN()";
  if (std::isinf(f))
    return f > 0 ? "std::numeric_limits<float>::infinity()" : "-std::numeric_limits<float>::infinity()";
  std::string t = format_float(f);  // a C++ float literal converts the decimal straight to float: exact
  if (t.find_first_of(".e") == std::string::npos) t += ".0";  // "1f" is no literal
  return t + "f";
}

std::string py_float(float f) {
  if (std::isnan(f)) return "F32('nan')";
  if (std::isinf(f)) return f > 0 ? "F32('inf')" : "F32('-inf')";
  return "F32(" + float_text(f) + ")";
}

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

const char* component_constant(Component c) {
  switch (c) {
    case Component::Setup: return "kSetup";
    case Component::Predict: return "kPredict";
    case Component::Learn: return "kLearn";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------------
// C++

std::string cpp_statement(const Instruction& in, Component c, size_t position) {
  const std::string o = std::to_string(in.out), a = std::to_string(in.in1), b = std::to_string(in.in2);
  const std::string so = "s[" + o + "]", sa = "s[" + a + "]", sb = "s[" + b + "]";
  const std::string vo = "v[" + o + "]", va = "v[" + a + "]", vb = "v[" + b + "]";
  const std::string mo = "m[" + o + "]", ma = "m[" + a + "]", mb = "m[" + b + "]";
  const std::string vloop = "for (int i = 0; i < F; ++i) ";
  const std::string mloop = "for (int i = 0; i < F * F; ++i) ";
  const std::string ij = "for (int i = 0; i < F; ++i) for (int j = 0; j < F; ++j) ";
  auto v1 = [&](const std::string& f) { return vloop + vo + "[i] = " + f + "(" + va + "[i]);"; };
  auto m1 = [&](const std::string& f) { return mloop + mo + "[i] = " + f + "(" + ma + "[i]);"; };
  auto v2 = [&](const std::string& op) { return vloop + vo + "[i] = " + va + "[i] " + op + " " + vb + "[i];"; };
  auto m2 = [&](const std::string& op) { return mloop + mo + "[i] = " + ma + "[i] " + op + " " + mb + "[i];"; };
  auto vf = [&](const std::string& f) { return vloop + vo + "[i] = " + f + "(" + va + "[i], " + vb + "[i]);"; };
  auto mf = [&](const std::string& f) { return mloop + mo + "[i] = " + f + "(" + ma + "[i], " + mb + "[i]);"; };
  const std::string key =
      "instruction_key(" + std::string(component_constant(c)) + ", " + std::to_string(position) + ")";
  auto draw = [&](const char* fn, const std::string& target, const char* count) {
    return std::string(fn) + "(" + target + ", " + count + ", " + cpp_float(in.data[0]) + ", " + cpp_float(in.data[1]) +
           ", random, " + key + ");";
  };
  switch (in.op) {
    case Op::NoOp: return "";
    case Op::ScalarSum: return so + " = " + sa + " + " + sb + ";";
    case Op::ScalarDiff: return so + " = " + sa + " - " + sb + ";";
    case Op::ScalarProduct: return so + " = " + sa + " * " + sb + ";";
    case Op::ScalarDivision: return so + " = " + sa + " / " + sb + ";";
    case Op::ScalarAbs: return so + " = std::abs(" + sa + ");";
    case Op::ScalarReciprocal: return so + " = 1.0f / " + sa + ";";
    case Op::ScalarSin: return so + " = std::sin(" + sa + ");";
    case Op::ScalarCos: return so + " = std::cos(" + sa + ");";
    case Op::ScalarTan: return so + " = std::tan(" + sa + ");";
    case Op::ScalarArcSin: return so + " = std::asin(" + sa + ");";
    case Op::ScalarArcCos: return so + " = std::acos(" + sa + ");";
    case Op::ScalarArcTan: return so + " = std::atan(" + sa + ");";
    case Op::ScalarExp: return so + " = std::exp(" + sa + ");";
    case Op::ScalarLog: return so + " = std::log(" + sa + ");";
    case Op::ScalarHeaviside: return so + " = heaviside_scalar(" + sa + ");";
    case Op::VectorHeaviside: return v1("heaviside");
    case Op::MatrixHeaviside: return m1("heaviside");
    case Op::ScalarVectorProduct: return vloop + vo + "[i] = " + sa + " * " + vb + "[i];";
    case Op::ScalarBroadcast: return vloop + vo + "[i] = " + sa + ";";
    case Op::VectorReciprocal: return vloop + vo + "[i] = 1.0f / " + va + "[i];";
    case Op::VectorNorm: return so + " = std::sqrt(sum_of_squares(" + va + ", F));";
    case Op::VectorAbs: return v1("std::abs");
    case Op::VectorSum: return v2("+");
    case Op::VectorDiff: return v2("-");
    case Op::VectorProduct: return v2("*");
    case Op::VectorDivision: return v2("/");
    case Op::VectorInnerProduct: return so + " = dot(" + va + ", " + vb + ", F);";
    case Op::VectorOuterProduct: return ij + mo + "[i * F + j] = " + va + "[i] * " + vb + "[j];";
    case Op::ScalarMatrixProduct: return mloop + mo + "[i] = " + sa + " * " + mb + "[i];";
    case Op::MatrixReciprocal: return mloop + mo + "[i] = 1.0f / " + ma + "[i];";
    case Op::MatrixVectorProduct: return "matvec<F>(" + vo + ", " + ma + ", " + vb + ");";
    case Op::VectorColumnBroadcast: return ij + mo + "[i * F + j] = " + va + "[i];";
    case Op::VectorRowBroadcast: return ij + mo + "[i * F + j] = " + va + "[j];";
    case Op::MatrixNorm: return so + " = std::sqrt(sum_of_squares(" + ma + ", F * F));";
    case Op::MatrixColumnNorm:
      return "for (int j = 0; j < F; ++j) " + vo + "[j] = std::sqrt(sum_of_squares(" + ma + " + j, F, F));";
    case Op::MatrixRowNorm: return vloop + vo + "[i] = std::sqrt(sum_of_squares(" + ma + " + i * F, F));";
    case Op::MatrixTranspose: return "transpose<F>(" + mo + ", " + ma + ");";
    case Op::MatrixAbs: return m1("std::abs");
    case Op::MatrixSum: return m2("+");
    case Op::MatrixDiff: return m2("-");
    case Op::MatrixProduct: return m2("*");
    case Op::MatrixDivision: return m2("/");
    case Op::MatrixMatrixProduct: return "matmul<F>(" + mo + ", " + ma + ", " + mb + ");";
    case Op::ScalarMin: return so + " = min_sv(" + sa + ", " + sb + ");";
    case Op::VectorMin: return vf("min_sv");
    case Op::MatrixMin: return mf("min_m");
    case Op::ScalarMax: return so + " = max_sv(" + sa + ", " + sb + ");";
    case Op::VectorMax: return vf("max_sv");
    case Op::MatrixMax: return mf("max_m");
    case Op::VectorMean: return so + " = sum(" + va + ", F) / static_cast<float>(F);";
    case Op::MatrixMean: return so + " = sum(" + ma + ", F * F) / static_cast<float>(F * F);";
    case Op::MatrixRowMean: return vloop + vo + "[i] = sum(" + ma + " + i * F, F) / static_cast<float>(F);";
    case Op::MatrixRowStDev: return vloop + vo + "[i] = stdev(" + ma + " + i * F, F);";
    case Op::VectorStDev: return so + " = stdev(" + va + ", F);";
    case Op::MatrixStDev: return so + " = stdev(" + ma + ", F * F);";
    case Op::ScalarConstSet: return so + " = " + cpp_float(in.data[0]) + ";";
    case Op::VectorConstSet: return vo + "[index<F>(" + cpp_float(in.data[0]) + ")] = " + cpp_float(in.data[1]) + ";";
    case Op::MatrixConstSet:
      return mo + "[index<F>(" + cpp_float(in.data[0]) + ") * F + index<F>(" + cpp_float(in.data[1]) +
             ")] = " + cpp_float(in.data[2]) + ";";
    case Op::ScalarUniformSet: return draw("draw_uniform", "&" + so, "1");
    case Op::VectorUniformSet: return draw("draw_uniform", vo, "F");
    case Op::MatrixUniformSet: return draw("draw_uniform", mo, "F * F");
    case Op::ScalarGaussianSet: return draw("draw_gaussian", "&" + so, "1");
    case Op::VectorGaussianSet: return draw("draw_gaussian", vo, "F");
    case Op::MatrixGaussianSet: return draw("draw_gaussian", mo, "F * F");
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------------
// NumPy

std::string numpy_statement(const Instruction& in, Component c, size_t position) {
  const std::string o = std::to_string(in.out), a = std::to_string(in.in1), b = std::to_string(in.in2);
  const std::string so = "s[" + o + "]", sa = "s[" + a + "]", sb = "s[" + b + "]";
  const std::string vo = "v[" + o + "]", va = "v[" + a + "]", vb = "v[" + b + "]";
  const std::string mo = "m[" + o + "]", ma = "m[" + a + "]", mb = "m[" + b + "]";
  auto call1 = [](const std::string& out, const std::string& f, const std::string& x) {
    return out + " = " + f + "(" + x + ")";
  };
  auto call2 = [](const std::string& out, const std::string& f, const std::string& x, const std::string& y) {
    return out + " = " + f + "(" + x + ", " + y + ")";
  };
  const char* component = c == Component::Setup ? "SETUP" : c == Component::Predict ? "PREDICT" : "LEARN";
  const std::string key = "key(" + std::string(component) + ", " + std::to_string(position) + ")";
  auto draw = [&](const char* fn, const std::string& target, const char* count, const char* tail) {
    return target + " = self." + fn + "(" + count + ", " + py_float(in.data[0]) + ", " + py_float(in.data[1]) + ", " +
           key + ")" + tail;
  };
  switch (in.op) {
    case Op::NoOp: return "";
    case Op::ScalarSum: return so + " = " + sa + " + " + sb;
    case Op::ScalarDiff: return so + " = " + sa + " - " + sb;
    case Op::ScalarProduct: return so + " = " + sa + " * " + sb;
    case Op::ScalarDivision: return so + " = " + sa + " / " + sb;
    case Op::ScalarAbs: return call1(so, "np.abs", sa);
    case Op::ScalarReciprocal: return so + " = ONE / " + sa;
    case Op::ScalarSin: return call1(so, "np.sin", sa);
    case Op::ScalarCos: return call1(so, "np.cos", sa);
    case Op::ScalarTan: return call1(so, "np.tan", sa);
    case Op::ScalarArcSin: return call1(so, "np.arcsin", sa);
    case Op::ScalarArcCos: return call1(so, "np.arccos", sa);
    case Op::ScalarArcTan: return call1(so, "np.arctan", sa);
    case Op::ScalarExp: return call1(so, "np.exp", sa);
    case Op::ScalarLog: return call1(so, "np.log", sa);
    case Op::ScalarHeaviside: return call1(so, "heaviside_scalar", sa);
    case Op::VectorHeaviside: return call1(vo, "heaviside", va);
    case Op::MatrixHeaviside: return call1(mo, "heaviside", ma);
    case Op::ScalarVectorProduct: return vo + " = " + sa + " * " + vb;
    case Op::ScalarBroadcast: return vo + " = " + sa;
    case Op::VectorReciprocal: return vo + " = ONE / " + va;
    case Op::VectorNorm: return call1(so, "norm", va);
    case Op::VectorAbs: return call1(vo, "np.abs", va);
    case Op::VectorSum: return vo + " = " + va + " + " + vb;
    case Op::VectorDiff: return vo + " = " + va + " - " + vb;
    case Op::VectorProduct: return vo + " = " + va + " * " + vb;
    case Op::VectorDivision: return vo + " = " + va + " / " + vb;
    case Op::VectorInnerProduct: return call2(so, "dot", va, vb);
    case Op::VectorOuterProduct: return call2(mo, "np.outer", va, vb);
    case Op::ScalarMatrixProduct: return mo + " = " + sa + " * " + mb;
    case Op::MatrixReciprocal: return mo + " = ONE / " + ma;
    case Op::MatrixVectorProduct: return call2(vo, "matvec", ma, vb);
    case Op::VectorColumnBroadcast: return mo + " = " + va + "[:, None]";
    case Op::VectorRowBroadcast: return mo + " = " + va + "[None, :]";
    case Op::MatrixNorm: return call1(so, "norm", ma);
    case Op::MatrixColumnNorm: return vo + " = norm(" + ma + ", axis=0)";
    case Op::MatrixRowNorm: return vo + " = norm(" + ma + ", axis=1)";
    case Op::MatrixTranspose: return mo + " = " + ma + ".T.copy()";
    case Op::MatrixAbs: return call1(mo, "np.abs", ma);
    case Op::MatrixSum: return mo + " = " + ma + " + " + mb;
    case Op::MatrixDiff: return mo + " = " + ma + " - " + mb;
    case Op::MatrixProduct: return mo + " = " + ma + " * " + mb;
    case Op::MatrixDivision: return mo + " = " + ma + " / " + mb;
    case Op::MatrixMatrixProduct: return call2(mo, "matmul", ma, mb);
    case Op::ScalarMin: return call2(so, "min_sv", sa, sb);
    case Op::VectorMin: return call2(vo, "min_sv", va, vb);
    case Op::MatrixMin: return call2(mo, "min_m", ma, mb);
    case Op::ScalarMax: return call2(so, "max_sv", sa, sb);
    case Op::VectorMax: return call2(vo, "max_sv", va, vb);
    case Op::MatrixMax: return call2(mo, "max_m", ma, mb);
    case Op::VectorMean: return call1(so, "mean", va);
    case Op::MatrixMean: return call1(so, "mean", ma);
    case Op::MatrixRowMean: return vo + " = mean(" + ma + ", axis=1)";
    case Op::MatrixRowStDev: return vo + " = std(" + ma + ", axis=1)";
    case Op::VectorStDev: return call1(so, "std", va);
    case Op::MatrixStDev: return call1(so, "std", ma);
    case Op::ScalarConstSet: return so + " = " + py_float(in.data[0]);
    case Op::VectorConstSet: return vo + "[index(" + py_float(in.data[0]) + ", F)] = " + py_float(in.data[1]);
    case Op::MatrixConstSet:
      return mo + "[index(" + py_float(in.data[0]) + ", F), index(" + py_float(in.data[1]) +
             ", F)] = " + py_float(in.data[2]);
    case Op::ScalarUniformSet: return draw("uniform", so, "1", "[0]");
    case Op::VectorUniformSet: return draw("uniform", vo, "F", "");
    case Op::MatrixUniformSet: return draw("uniform", mo, "F * F", ".reshape(F, F)");
    case Op::ScalarGaussianSet: return draw("gaussian", so, "1", "[0]");
    case Op::VectorGaussianSet: return draw("gaussian", vo, "F", "");
    case Op::MatrixGaussianSet: return draw("gaussian", mo, "F * F", ".reshape(F, F)");
  }
  return "";
}

// One component's body: a statement per live instruction, its source text as a trailing comment (aligned), and a
// note when dead instructions were left out.
std::string body(const Algorithm& a, const LiveMarks& live, Component c, ExportFormat format,
                 const std::string& indent) {
  const auto& code = a.component(c);
  const char* comment = format == ExportFormat::Cpp ? "//" : "#";
  std::vector<std::pair<std::string, std::string>> lines;  // statement, source text
  size_t dead = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    if (!live[static_cast<int>(c)][i]) {
      ++dead;
      continue;
    }
    lines.emplace_back(format == ExportFormat::Cpp ? cpp_statement(code[i], c, i) : numpy_statement(code[i], c, i),
                       to_text(code[i]));
  }
  const size_t widest = format == ExportFormat::Cpp ? 72 : 56;  // longer statements are not aligned with the rest
  size_t width = 0;
  for (const auto& l : lines)
    if (l.first.size() <= widest) width = std::max(width, l.first.size());
  std::ostringstream os;
  if (dead > 0)
    os << indent << comment << " " << dead << " dead instruction" << (dead == 1 ? "" : "s")
       << " left out (their results never reach the prediction)\n";
  for (const auto& [statement, text] : lines) {
    os << indent << statement;
    if (statement.size() < width) os << std::string(width - statement.size(), ' ');
    os << "  " << comment << " " << text << "\n";
  }
  if (lines.empty() && format == ExportFormat::Numpy) os << indent << "pass\n";
  return os.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// The parts of the C++ file that do not depend on the algorithm. @NS@ is the namespace.
constexpr const char* kCppHelpers = R"(#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace @NS@ {

// ---- Edge rules and arithmetic of amlz's reference interpreter (float32) ----

// Scalar heaviside counts 0 as positive; vector and matrix heaviside do not. NaN gives 0.
inline float heaviside_scalar(float a) { return a >= 0.0f ? 1.0f : 0.0f; }
inline float heaviside(float a) { return a > 0.0f ? 1.0f : 0.0f; }
// Scalar and vector min/max keep the first operand unless the second is strictly smaller/larger (min(NaN, 1) = NaN);
// matrix min/max are written the other way round (min(NaN, 1) = 1).
inline float min_sv(float a, float b) { return b < a ? b : a; }
inline float max_sv(float a, float b) { return a < b ? b : a; }
inline float min_m(float a, float b) { return a < b ? a : b; }
inline float max_m(float a, float b) { return a > b ? a : b; }
// An element position stored as a fraction in [0, 1): int(F * f), computed in float.
template <int F>
int index(float f) {
  return static_cast<int>(static_cast<float>(F) * f);
}
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Sums run in index order from +0, each product rounded on its own (compile with -ffp-contract=off, or any flags that
// fuse no multiply-add, to match amlz to the bit).
inline float sum(const float* x, int n, int stride = 1) {
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += x[i * stride];
  return s;
}
inline float sum_of_squares(const float* x, int n, int stride = 1) {
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += x[i * stride] * x[i * stride];
  return s;
}
inline float dot(const float* a, const float* b, int n, int b_stride = 1) {
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += a[i] * b[i * b_stride];
  return s;
}
// Population standard deviation in double, two passes: sqrt(sum((x - mean)^2) / n).
inline float stdev(const float* x, int n, int stride = 1) {
  double total = 0.0;
  for (int i = 0; i < n; ++i) total += static_cast<double>(x[i * stride]);
  const double mean = total / n;
  double squares = 0.0;
  for (int i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i * stride]) - mean;
    squares += d * d;
  }
  return static_cast<float>(std::sqrt(squares / n));
}
// Matrix-vector and matrix-matrix products and the transpose build their result first: out may be an input.
template <int F>
void matvec(float* out, const float* m, const float* x) {
  float r[F];
  for (int i = 0; i < F; ++i) r[i] = dot(m + i * F, x, F);
  std::memcpy(out, r, sizeof r);
}
template <int F>
void matmul(float* out, const float* a, const float* b) {
  float r[F * F];
  for (int i = 0; i < F; ++i)
    for (int j = 0; j < F; ++j) r[i * F + j] = dot(a + i * F, b + j, F, F);
  std::memcpy(out, r, sizeof r);
}
template <int F>
void transpose(float* out, const float* a) {
  float r[F * F];
  for (int i = 0; i < F; ++i)
    for (int j = 0; j < F; ++j) r[j * F + i] = a[i * F + j];
  std::memcpy(out, r, sizeof r);
}

// ---- Random ops: amlz's counter-based generator, so the draws are amlz's own ----

// Philox-4x32-10 (Salmon et al., SC'11): four random words, a pure function of a 4-word counter and a 2-word key.
struct Philox4 {
  uint32_t v[4];
};
inline Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0, p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0, n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}
// Which instruction draws (its component and position in the SOURCE algorithm, so leaving dead code out changes no
// draw) and when: the evaluation seed, the task's index, the phase and the step.
enum Component : uint32_t { kSetup = 0, kPredict = 1, kLearn = 2 };
constexpr uint32_t instruction_key(Component c, uint32_t position) { return (static_cast<uint32_t>(c) << 14) | position; }
enum Phase : uint32_t { kPhaseSetup = 0, kPhaseTrain = 1, kPhaseValid = 2 };
struct RandomStream {
  uint32_t seed, task, phase, step;
};
inline double open01(uint32_t u) { return (static_cast<double>(u) + 0.5) * 2.3283064365386962890625e-10; }
// Element e of a random op draws from counter (e, instruction, step, phase) under key (seed, task), in double.
inline void draw_uniform(float* out, int count, float low, float high, const RandomStream& r, uint32_t key) {
  for (int e = 0; e < count; ++e) {
    const Philox4 w = philox4x32_10(static_cast<uint32_t>(e), key, r.step, r.phase, r.seed, r.task);
    const double lo = low, hi = high;  // uniform on (lo, hi); an empty or inverted range gives lo
    out[e] = static_cast<float>(lo < hi ? lo + (hi - lo) * open01(w.v[0]) : lo);
  }
}
inline void draw_gaussian(float* out, int count, float mean, float stddev, const RandomStream& r, uint32_t key) {
  for (int e = 0; e < count; ++e) {
    const Philox4 w = philox4x32_10(static_cast<uint32_t>(e), key, r.step, r.phase, r.seed, r.task);
    const double radius = std::sqrt(-2.0 * std::log(open01(w.v[0])));  // Box-Muller
    const double normal = radius * std::cos(6.283185307179586476925 * open01(w.v[1]));
    out[e] = static_cast<float>(static_cast<double>(mean) + static_cast<double>(stddev) * normal);
  }
}
)";

constexpr const char* kCppDriver = R"(
// ---- The executor (spec §4): one task, as `amlz eval` runs it ----

struct TaskOptions {
  int epochs = 1;
  // epochs * n_train indices of training examples, in visiting order (amlz shuffles every epoch after the first);
  // nullptr: data order in every epoch.
  const std::vector<uint32_t>* order = nullptr;
  bool classification = false;  // labels 0/1, fitness = accuracy; otherwise fitness from the RMS error
  float max_abs_error = 100.0f;  // a training error above it (or NaN) stops the run
  uint32_t seed = 0, task = 0;   // key the random ops: amlz uses the evaluation seed and the task's index
};

struct TaskRun {
  std::vector<float> train_predictions;               // per training step: the prediction Learn saw
  std::vector<std::vector<float>> valid_predictions;  // per epoch: s1 of each validation example run
  double fitness = 0.0;  // the best validation fitness over epochs: accuracy, or 1 - (2/pi) atan(RMSE)
  bool stopped = false;  // training stopped on a bad error (fitness 0 in the first epoch)
};

inline double flip_and_squash(double x) {
  if (x != x || x == HUGE_VAL || x == -HUGE_VAL) return 0.0;
  return 1.0 + -0.63661977236758134308 * std::atan(x);
}

// Setup once; per epoch a training step for each example, then a validation step for each validation example (an
// error above max_abs_error ends that epoch's validation and it does not count). x: row-major [example][F].
template <int F>
TaskRun run_task(const std::vector<float>& train_x, const std::vector<float>& train_y,
                 const std::vector<float>& valid_x, const std::vector<float>& valid_y, const TaskOptions& o = {}) {
  TaskRun r;
  Algorithm<F> algorithm(o.seed, o.task);
  const size_t n_train = train_y.size(), n_valid = valid_y.size();
  uint32_t step = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (size_t j = 0; j < n_train; ++j, ++step) {
      const size_t k = o.order ? (*o.order)[epoch * n_train + j] : j;
      const float p = algorithm.train_step(&train_x[k * F], train_y[k], step, o.classification);
      r.train_predictions.push_back(p);
      if (!(std::abs(train_y[k] - p) <= o.max_abs_error)) {
        r.stopped = true;
        return r;
      }
    }
    std::vector<float>& predictions = r.valid_predictions.emplace_back();
    double loss = 0.0;
    bool failed = false;
    for (size_t j = 0; j < n_valid; ++j) {
      const float p = algorithm.valid_step(&valid_x[j * F], static_cast<uint32_t>(epoch * n_valid + j));
      predictions.push_back(p);
      const float y = valid_y[j];
      const float e = o.classification ? ((y > 0.5f) == (sigmoid(p) > 0.5f) ? 0.0f : 1.0f) : y - p;
      if (!(std::abs(e) <= o.max_abs_error)) {
        failed = true;
        break;
      }
      loss += static_cast<double>(e) * static_cast<double>(e);
    }
    if (!failed) {
      const double mean = loss / static_cast<double>(n_valid);
      r.fitness = std::max(r.fitness, o.classification ? 1.0 - mean : flip_and_squash(std::sqrt(mean)));
    }
  }
  return r;
}

}  // namespace @NS@
)";

std::string export_cpp(const Algorithm& a, const LiveMarks& live, const Sizes& sizes, const ExportOptions& o,
                       const std::string& header) {
  std::ostringstream os;
  os << header;
  std::string helpers = kCppHelpers;
  replace_all(helpers, "@NS@", o.cpp_namespace);
  os << helpers;
  os << R"(
// ---- The algorithm ----

// Memory and the three functions, for F features. Addresses are the algorithm's own: s3 is s[3].
template <int F>
class Algorithm {
 public:
)";
  os << "  static constexpr int kScalars = " << sizes.scalars << ", kVectors = " << sizes.vectors
     << ", kMatrices = " << sizes.matrices << ";\n";
  os << R"(  float s[kScalars] = {};         // s[0]: the label (0 during Predict); s[1]: the prediction
  float v[kVectors][F] = {};       // v[0]: the features
  float m[kMatrices][F * F] = {};  // row-major: element (i, j) of m[k] is m[k][i * F + j]
  RandomStream random;             // what the random ops of the current step draw from

  // Memory starts at zero; Setup runs once.
  explicit Algorithm(uint32_t seed = 0, uint32_t task = 0) : random{seed, task, kPhaseSetup, 0} { Setup(); }

  // A training step: v0 = x, s0 = 0, Predict; on classification tasks s1 = sigmoid(s1); v0 = x, s0 = y, Learn.
  // Returns the prediction Learn saw. `step` counts training steps over all epochs (it keys the random ops).
  float train_step(const float* x, float y, uint32_t step, bool classification = false) {
    random.phase = kPhaseTrain;
    random.step = step;
    std::memcpy(v[0], x, sizeof v[0]);
    s[0] = 0.0f;
    Predict();
    if (classification) s[1] = sigmoid(s[1]);
    const float prediction = s[1];
    std::memcpy(v[0], x, sizeof v[0]);
    s[0] = y;
    Learn();
    return prediction;
  }
  // A validation step: v0 = x, s0 = 0, Predict (not Learn; what Predict writes stays). Returns s1, a logit on
  // classification tasks. `step` = epoch * (validation examples) + example (it keys the random ops).
  float valid_step(const float* x, uint32_t step) {
    random.phase = kPhaseValid;
    random.step = step;
    std::memcpy(v[0], x, sizeof v[0]);
    s[0] = 0.0f;
    Predict();
    return s[1];
  }

)";
  const char* names[] = {"Setup", "Predict", "Learn"};
  for (Component c : kAllComponents) {
    os << "  void " << names[static_cast<int>(c)] << "() {\n";
    os << body(a, live, c, ExportFormat::Cpp, "    ");
    os << "  }\n";
  }
  os << "};\n";
  std::string driver = kCppDriver;
  replace_all(driver, "@NS@", o.cpp_namespace);
  os << driver;
  return os.str();
}

constexpr const char* kNumpyHelpers = R"(
import math

import numpy as np

F32 = np.float32
ONE = F32(1)
ZERO = F32(0)

# ---- Edge rules and arithmetic of amlz's reference interpreter (float32) ----
# Every value stays float32 (a Python float would turn a result into float64). Sums run in index order from +0, as
# amlz's do (np.add.accumulate is sequential; np.sum and np.dot sum in another order and differ in the last bits).


def heaviside_scalar(a):  # scalars count 0 as positive
    return ONE if a >= 0 else ZERO


def heaviside(a):  # vectors and matrices do not; NaN gives 0
    return np.where(a > 0, ONE, ZERO)


# Scalar and vector min/max keep the first operand unless the second is strictly smaller/larger (min(NaN, 1) = NaN);
# matrix min/max are written the other way round (min(NaN, 1) = 1).
def min_sv(a, b):
    return np.where(b < a, b, a).astype(F32)[()]


def max_sv(a, b):
    return np.where(a < b, b, a).astype(F32)[()]


def min_m(a, b):
    return np.where(a < b, a, b)


def max_m(a, b):
    return np.where(a > b, a, b)


def index(f, n):  # an element position stored as a fraction in [0, 1): int(F * f), computed in float32
    return int(F32(n) * f)


def sigmoid(x):
    return ONE / (ONE + np.exp(-x))


def total(x, axis=None):  # sum in index order from +0 (over all elements, row-major, or along an axis)
    if axis is None:
        return ZERO + np.add.accumulate(x.ravel())[-1]
    return ZERO + np.take(np.add.accumulate(x, axis=axis), -1, axis=axis)


def dot(a, b):
    return total(a * b)


def norm(x, axis=None):
    return np.sqrt(total(x * x, axis))


def mean(x, axis=None):
    return total(x, axis) / F32(x.size if axis is None else x.shape[axis])


def _stdev(x):  # population st.dev. in double, two passes: sqrt(sum((x - mean)^2) / n)
    d = x.astype(np.float64)
    centred = d - (0.0 + np.add.accumulate(d)[-1]) / d.size
    return F32(math.sqrt((0.0 + np.add.accumulate(centred * centred)[-1]) / d.size))


def std(x, axis=None):
    if axis is None:
        return _stdev(x.ravel())
    return np.array([_stdev(row) for row in x], dtype=F32)


def matvec(m, x):
    return total(m * x[None, :], axis=1)


def matmul(a, b):
    return total(a[:, :, None] * b[None, :, :], axis=1)


# ---- Random ops: amlz's counter-based generator, so the draws are amlz's own ----

SETUP, PREDICT, LEARN = 0, 1, 2  # components
PHASE_SETUP, PHASE_TRAIN, PHASE_VALID = 0, 1, 2


def key(component, position):  # the instruction's place in the SOURCE algorithm: dead code changes no draw
    return (component << 14) | position


_M32 = 0xFFFFFFFF


def philox4x32_10(c0, c1, c2, c3, k0, k1):  # Philox-4x32-10 (Salmon et al., SC'11), on arrays of counters
    c0, c1, c2, c3 = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint64) & np.uint64(_M32) for c in (c0, c1, c2, c3)))
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & np.uint64(_M32), \
            (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & np.uint64(_M32)
        k0 = (k0 + 0x9E3779B9) & _M32
        k1 = (k1 + 0xBB67AE85) & _M32
    return c0, c1, c2, c3


def _open01(u):
    return (float(u) + 0.5) * 2.3283064365386962890625e-10


def _words(count, instruction, stream):  # element e draws from counter (e, instruction, step, phase)
    seed, task, phase, step = stream
    w = philox4x32_10(np.arange(count), instruction, step, phase, seed, task)
    return w[0].tolist(), w[1].tolist()


def draw_uniform(count, low, high, instruction, stream):  # uniform on (low, high); low when low >= high
    lo, hi = float(low), float(high)
    if not lo < hi:
        return np.full(count, F32(lo), dtype=F32)
    return np.array([lo + (hi - lo) * _open01(u) for u in _words(count, instruction, stream)[0]], dtype=F32)


def draw_gaussian(count, mean, stddev, instruction, stream):  # Box-Muller, in double
    w0, w1 = _words(count, instruction, stream)
    return np.array([float(mean) + float(stddev) * (math.sqrt(-2.0 * math.log(_open01(a))) *
                                                     math.cos(6.283185307179586476925 * _open01(b)))
                     for a, b in zip(w0, w1)], dtype=F32)
)";

constexpr const char* kNumpyDriver = R"(

# ---- The executor (spec §4): one task, as `amlz eval` runs it ----

def flip_and_squash(x):
    if math.isnan(x) or math.isinf(x):
        return 0.0
    return 1.0 + -0.63661977236758134308 * math.atan(x)


@np.errstate(all="ignore")
def run_task(train_x, train_y, valid_x, valid_y, epochs=1, order=None, classification=False, max_abs_error=100.0,
             seed=0, task=0):
    """Runs the algorithm on one task like amlz's executor: Setup; per epoch a training step for each example (in
    `order`, epochs * n_train indices, or data order), then a validation step for each validation example (an error
    above max_abs_error ends that epoch's validation and it does not count); a training error above max_abs_error
    (or NaN) stops the run. seed and task key the random ops (amlz: the evaluation seed and the task's index).
    Returns a dict: train_predictions (the prediction Learn saw, per step), valid_predictions (per epoch), fitness
    (the best validation fitness over epochs: accuracy, or 1 - (2/pi) atan(RMSE)) and stopped."""
    train_x, valid_x = np.asarray(train_x, dtype=F32), np.asarray(valid_x, dtype=F32)
    train_y, valid_y = np.asarray(train_y, dtype=F32), np.asarray(valid_y, dtype=F32)
    algorithm = Algorithm(train_x.shape[1], seed, task)
    n_train, n_valid = len(train_y), len(valid_y)
    limit = F32(max_abs_error)
    result = {"train_predictions": [], "valid_predictions": [], "fitness": 0.0, "stopped": False}
    step = 0
    for epoch in range(epochs):
        for j in range(n_train):
            k = j if order is None else order[epoch * n_train + j]
            p = algorithm.train_step(train_x[k], train_y[k], step, classification)
            step += 1
            result["train_predictions"].append(p)
            if not np.abs(train_y[k] - p) <= limit:
                result["stopped"] = True
                return result
        predictions = []
        result["valid_predictions"].append(predictions)
        loss, failed = 0.0, False
        for j in range(n_valid):
            p = algorithm.valid_step(valid_x[j], epoch * n_valid + j)
            predictions.append(p)
            y = valid_y[j]
            if classification:
                e = ZERO if (y > F32(0.5)) == (sigmoid(p) > F32(0.5)) else ONE
            else:
                e = y - p
            if not np.abs(e) <= limit:
                failed = True
                break
            loss += float(e) * float(e)
        if not failed:
            mean_loss = loss / n_valid
            fitness = 1.0 - mean_loss if classification else flip_and_squash(math.sqrt(mean_loss))
            result["fitness"] = max(result["fitness"], fitness)
    return result
)";

std::string export_numpy(const Algorithm& a, const LiveMarks& live, const Sizes& sizes, const std::string& header) {
  std::ostringstream os;
  os << header << kNumpyHelpers;
  os << R"(

# ---- The algorithm ----

class Algorithm:
    """Memory and the three functions. Addresses are the algorithm's own: s3 is s[3]."""

)";
  os << "    SCALARS, VECTORS, MATRICES = " << sizes.scalars << ", " << sizes.vectors << ", " << sizes.matrices << "\n";
  os << R"(
    def __init__(self, features, seed=0, task=0):
        """Memory starts at zero; Setup runs once. seed and task key the random ops."""
        self.features = features
        self.s = np.zeros(self.SCALARS, dtype=F32)  # s[0]: the label (0 during Predict); s[1]: the prediction
        self.v = np.zeros((self.VECTORS, features), dtype=F32)  # v[0]: the features
        self.m = np.zeros((self.MATRICES, features, features), dtype=F32)
        self.random = (seed, task, PHASE_SETUP, 0)  # what the random ops of the current step draw from
        self.Setup()

    def uniform(self, count, low, high, instruction):
        return draw_uniform(count, low, high, instruction, self.random)

    def gaussian(self, count, mean, stddev, instruction):
        return draw_gaussian(count, mean, stddev, instruction, self.random)

    def train_step(self, x, y, step, classification=False):
        """v0 = x, s0 = 0, Predict; on classification tasks s1 = sigmoid(s1); v0 = x, s0 = y, Learn. Returns the
        prediction Learn saw. `step` counts training steps over all epochs (it keys the random ops)."""
        seed, task = self.random[:2]
        self.random = (seed, task, PHASE_TRAIN, step)
        self.v[0] = x
        self.s[0] = ZERO
        self.Predict()
        if classification:
            with np.errstate(all="ignore"):
                self.s[1] = sigmoid(self.s[1])
        prediction = self.s[1]
        self.v[0] = x
        self.s[0] = y
        self.Learn()
        return prediction

    def valid_step(self, x, step):
        """v0 = x, s0 = 0, Predict (not Learn; what Predict writes stays). Returns s1, a logit on classification
        tasks. `step` = epoch * (validation examples) + example (it keys the random ops)."""
        seed, task = self.random[:2]
        self.random = (seed, task, PHASE_VALID, step)
        self.v[0] = x
        self.s[0] = ZERO
        self.Predict()
        return self.s[1]
)";
  const char* names[] = {"Setup", "Predict", "Learn"};
  for (Component c : kAllComponents) {
    os << "\n    @np.errstate(all=\"ignore\")  # IEEE results (inf, NaN) are values here, not errors\n";
    os << "    def " << names[static_cast<int>(c)] << "(self):\n";
    os << "        s, v, m, F = self.s, self.v, self.m, self.features\n";
    os << body(a, live, c, ExportFormat::Numpy, "        ");
  }
  os << kNumpyDriver;
  return os.str();
}

std::string header_comment(const Algorithm& a, const LiveMarks& live, const Sizes& sizes, const ExportOptions& o) {
  size_t live_count = 0;
  for (const auto& marks : live)
    for (uint8_t m : marks) live_count += m;
  const bool cpp = o.format == ExportFormat::Cpp;
  const std::string c = cpp ? "// " : "# ";
  std::ostringstream os;
  if (!cpp) os << "#!/usr/bin/env python3\n";
  os << c << "Generated by `amlz export --format " << enum_name(o.format) << "`"
     << (o.source.empty() ? std::string() : " from " + o.source) << ".\n"
     << c << "An AutoML-Zero algorithm as standalone code: Setup, Predict and Learn over memory s (scalars),\n"
     << c << "v (vectors of F features) and m (F x F matrices), at the algorithm's own addresses (s3 is s[3]).\n"
     << c << live_count << " of " << a.size()
     << " instructions are live; the dead ones are left out. Each statement ends with the instruction\n"
     << c << "it came from.\n"
     << c << "Memory: " << sizes.scalars << " scalars, " << sizes.vectors << " vectors, " << sizes.matrices
     << " matrices" << (o.memory ? " (the config's [memory])" : " (the addresses the code uses)") << ".\n"
     << c << "\n"
     << c << "Executor contract (spec §4): before Predict, v0 = features and s0 = 0; s1 is the prediction; before\n"
     << c << "Learn, v0 = features and s0 = label. Memory persists between examples, epochs and validation.\n"
     << c << "Arithmetic is amlz's reference interpreter's, in float32: scalar heaviside is x >= 0 but vector/matrix\n"
     << c
     << "heaviside x > 0; min/max keep the first operand on NaN for scalars and vectors, the second for matrices;\n"
     << c << "element positions are int(F * f); sums run in index order; st.dev. is computed in double.\n"
     << c << "Random ops (uniform, gaussian) draw from amlz's Philox-4x32-10 generator keyed by (seed, task index,\n"
     << c
     << "phase, step, instruction, element): with amlz's evaluation seed and task index they draw amlz's numbers.\n";
  if (cpp)
    os << c << "Compiled with g++ -ffp-contract=off (no fused multiply-add) this code reproduces `amlz eval` to the\n"
       << c << "bit on the same C library (sin, exp, log are the C library's float functions).\n"
       << c << "\n"
       << c << "Use:\n"
       << c << "  " << o.cpp_namespace
       << "::Algorithm<4> algorithm(/*seed=*/0, /*task=*/0);  // memory zeroed, Setup run\n"
       << c << "  float p = algorithm.train_step(x, y, /*step=*/0);  // Predict then Learn on one example\n"
       << c << "  float q = algorithm.valid_step(x, /*step=*/0);     // Predict only\n"
       << c << "  auto run = " << o.cpp_namespace
       << "::run_task<4>(train_x, train_y, valid_x, valid_y);  // a whole task, as amlz eval\n";
  else
    os << c << "NumPy's float32 sin, exp and log may differ from the C library's in the last bit; everything else\n"
       << c << "reproduces `amlz eval` to the bit.\n"
       << c << "\n"
       << c << "Use:\n"
       << c << "  algorithm = Algorithm(features=4, seed=0, task=0)  # memory zeroed, Setup run\n"
       << c << "  p = algorithm.train_step(x, y, step=0)             # Predict then Learn on one example\n"
       << c << "  q = algorithm.valid_step(x, step=0)                # Predict only\n"
       << c << "  run = run_task(train_x, train_y, valid_x, valid_y)  # a whole task, as amlz eval\n";
  return os.str();
}

}  // namespace

std::string export_algorithm(const Algorithm& a, const ExportOptions& options) {
  if (options.format == ExportFormat::Cpp && !is_identifier(options.cpp_namespace))
    throw Error("the C++ namespace '" + printable(options.cpp_namespace) + "' is not an identifier");
  if (options.memory) check_fits(a, *options.memory);
  LiveMarks live;
  mark_live(a, live);
  Sizes sizes = sizes_used(a, live);
  if (options.memory)
    sizes = Sizes{options.memory->scalars, options.memory->vectors, std::max(1, options.memory->matrices)};
  const std::string header = header_comment(a, live, sizes, options);
  return options.format == ExportFormat::Cpp ? export_cpp(a, live, sizes, options, header)
                                             : export_numpy(a, live, sizes, header);
}

}  // namespace amlz
