// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/wire.h"

#include <cstring>

#include "amlz/error.h"

namespace amlz {
namespace {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the hosts we run on are little-endian (x86-64, aarch64)
  out.append(b, sizeof(T));
}

}  // namespace

void WireWriter::u32(uint32_t v) { put(bytes_, v); }
void WireWriter::u64(uint64_t v) { put(bytes_, v); }
void WireWriter::f32(float v) { put(bytes_, v); }
void WireWriter::f64(double v) { put(bytes_, v); }
void WireWriter::str(std::string_view s) {
  u64(s.size());
  bytes_.append(s);
}

void WireWriter::algorithm(const Algorithm& a) {
  for (Component c : kAllComponents) {
    const auto& instrs = a.component(c);
    u32(static_cast<uint32_t>(instrs.size()));
    for (const Instruction& in : instrs) {
      u8(static_cast<uint8_t>(in.op));
      u8(in.in1);
      u8(in.in2);
      u8(in.out);
      for (float d : in.data) f32(d);
    }
  }
}

void WireWriter::individual(const Individual& ind) {
  algorithm(ind.algorithm);
  f64(ind.fitness);
  u64(ind.id);
  u32(static_cast<uint32_t>(ind.stage_fitness.size()));
  for (double f : ind.stage_fitness) f64(f);
}

const char* WireReader::take(size_t n) {
  if (n > bytes_.size() - pos_)
    throw Error(what_ + ": truncated (needed " + std::to_string(n) + " more bytes at offset " + std::to_string(pos_) +
                " of " + std::to_string(bytes_.size()) + ")");
  const char* p = bytes_.data() + pos_;
  pos_ += n;
  return p;
}

namespace {

template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

uint8_t WireReader::u8() { return static_cast<uint8_t>(*take(1)); }
uint32_t WireReader::u32() { return get<uint32_t>(take(4)); }
uint64_t WireReader::u64() { return get<uint64_t>(take(8)); }
float WireReader::f32() { return get<float>(take(4)); }
double WireReader::f64() { return get<double>(take(8)); }
std::string WireReader::str() {
  const uint64_t n = u64();
  return std::string(take(static_cast<size_t>(n)), static_cast<size_t>(n));
}

Algorithm WireReader::algorithm() {
  Algorithm a;
  for (Component c : kAllComponents) {
    const uint32_t n = u32();
    if (n >= kMaxComponentSize) throw Error(what_ + ": a component of " + std::to_string(n) + " instructions");
    auto& instrs = a.component(c);
    instrs.reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
      Instruction in;
      const uint8_t op = u8();
      if (!is_valid_op(op)) throw Error(what_ + ": unknown opcode " + std::to_string(op));
      in.op = static_cast<Op>(op);
      in.in1 = u8();
      in.in2 = u8();
      in.out = u8();
      for (float& d : in.data) d = f32();
      instrs.push_back(in);
    }
  }
  return a;
}

Individual WireReader::individual() {
  Individual ind;
  ind.algorithm = algorithm();
  ind.fitness = f64();
  ind.id = u64();
  const uint32_t stages = u32();
  if (stages > 1024) throw Error(what_ + ": " + std::to_string(stages) + " stage fitnesses");
  for (uint32_t s = 0; s < stages; ++s) ind.stage_fitness.push_back(f64());
  return ind;
}

std::string encode_individuals(const std::vector<Individual>& individuals) {
  WireWriter w;
  w.u32(static_cast<uint32_t>(individuals.size()));
  for (const Individual& ind : individuals) w.individual(ind);
  return w.take();
}

std::vector<Individual> decode_individuals(std::string_view bytes, const std::string& what) {
  WireReader r(bytes, what);
  const uint32_t n = r.u32();
  std::vector<Individual> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(r.individual());
  if (!r.done()) throw Error(what + ": trailing bytes");
  return out;
}

}  // namespace amlz
