// SPDX-License-Identifier: Apache-2.0
// A byte encoding of individuals: how migrants travel between processes and how checkpoints store populations.
// Little-endian, fixed-width fields, bit-exact floats (a decoded individual equals the encoded one).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "amlz/search/population.h"

namespace amlz {

// Appends fixed-width values to a byte string.
class WireWriter {
 public:
  void u8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void f32(float v);
  void f64(double v);
  void str(std::string_view s);  // u64 length, then the bytes
  void algorithm(const Algorithm& a);
  void individual(const Individual& ind);
  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads what WireWriter wrote; any read past the end or malformed value throws amlz::Error naming `what`.
class WireReader {
 public:
  WireReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  float f32();
  double f64();
  std::string str();
  Algorithm algorithm();
  Individual individual();
  bool done() const { return pos_ == bytes_.size(); }
  size_t position() const { return pos_; }

 private:
  const char* take(size_t n);
  std::string_view bytes_;
  std::string what_;
  size_t pos_ = 0;
};

std::string encode_individuals(const std::vector<Individual>& individuals);
std::vector<Individual> decode_individuals(std::string_view bytes, const std::string& what);

}  // namespace amlz
