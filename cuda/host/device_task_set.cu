// SPDX-License-Identifier: Apache-2.0
// Packing and uploading the task set.
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "amlz/error.h"
#include "host/cuda_check.cuh"
#include "host/device_task_set.cuh"

namespace amlz::cuda {

namespace {

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Takes `count` elements at the end of an array of `total` elements, 128-byte aligned; returns where they start.
size_t take(size_t& total, size_t count) {
  const size_t at = total;
  total += align_up(count, 32);
  return at;
}

// Leading epochs whose order is 0, 1, 2, ... (epoch 0 always, by construction): the kernel skips the dependent
// order lookup there.
uint32_t identity_epochs(const Task& t) {
  const size_t nt = static_cast<size_t>(t.n_train);
  uint32_t n = 0;
  for (int e = 0; e < t.n_epochs; ++e) {
    const uint32_t* o = t.epoch_order.data() + static_cast<size_t>(e) * nt;
    bool identity = true;
    for (size_t k = 0; k < nt && identity; ++k) identity = o[k] == k;
    if (!identity) break;
    ++n;
  }
  return n;
}

std::vector<uint64_t> signature_of(const TaskSet& ts) {
  std::vector<uint64_t> s;
  s.reserve(ts.size() * 7);
  for (const Task& t : ts.tasks)
    s.insert(s.end(),
             {static_cast<uint64_t>(t.features), static_cast<uint64_t>(t.n_train), static_cast<uint64_t>(t.n_epochs),
              static_cast<uint64_t>(t.n_valid), static_cast<uint64_t>(t.index), static_cast<uint64_t>(t.eval),
              static_cast<uint64_t>(t.classes)});
  return s;
}

}  // namespace

PackedTaskSet pack_task_set(const TaskSet& ts) {
  PackedTaskSet p;
  p.table.resize(ts.size());
  size_t data_words = 0, order_words = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Task& t = ts.tasks[i];
    const size_t f = static_cast<size_t>(t.features);
    AMLZ_CHECK(t.n_train >= 0 && t.n_valid >= 0 && t.n_epochs >= 1, "task " + std::to_string(i) + " sizes");
    const size_t nt = static_cast<size_t>(t.n_train), nv = static_cast<size_t>(t.n_valid);
    const size_t label = t.label_width();
    AMLZ_CHECK(t.train_x.size() == nt * f && t.train_y.size() == nt * label && t.valid_x.size() == nv * f &&
                   t.valid_y.size() == nv * label && t.epoch_order.size() == nt * static_cast<size_t>(t.n_epochs),
               "task " + std::to_string(i) + ": data sizes do not match n_train/n_valid/n_epochs");
    for (uint32_t e : t.epoch_order) AMLZ_CHECK(e < nt, "task " + std::to_string(i) + ": epoch order out of range");
    DeviceTask& d = p.table[i];
    d.train_x = static_cast<uint32_t>(take(data_words, t.train_x.size()));
    d.train_y = static_cast<uint32_t>(take(data_words, t.train_y.size()));
    d.valid_x = static_cast<uint32_t>(take(data_words, t.valid_x.size()));
    d.valid_y = static_cast<uint32_t>(take(data_words, t.valid_y.size()));
    d.order = static_cast<uint32_t>(take(order_words, t.epoch_order.size()));
    d.index = t.index;
    d.n_train = static_cast<uint32_t>(t.n_train);
    d.n_epochs = static_cast<uint32_t>(t.n_epochs);
    d.n_valid = static_cast<uint32_t>(t.n_valid);
    d.accuracy = t.eval == EvalType::Accuracy ? 1u : 0u;
    d.identity_epochs = identity_epochs(t);
    d.classes = static_cast<uint32_t>(t.classes);
  }
  AMLZ_CHECK(data_words < (size_t{1} << 32) && order_words < (size_t{1} << 32),
             "task set too large for the CUDA evaluator's 32-bit offsets (" + std::to_string(data_words) + " floats)");
  p.data.assign(std::max<size_t>(data_words, 1), 0.0f);
  p.orders.assign(std::max<size_t>(order_words, 1), 0u);
  for (size_t i = 0; i < ts.size(); ++i) {
    const Task& t = ts.tasks[i];
    const DeviceTask& d = p.table[i];
    std::copy(t.train_x.begin(), t.train_x.end(), p.data.begin() + static_cast<ptrdiff_t>(d.train_x));
    std::copy(t.train_y.begin(), t.train_y.end(), p.data.begin() + static_cast<ptrdiff_t>(d.train_y));
    std::copy(t.valid_x.begin(), t.valid_x.end(), p.data.begin() + static_cast<ptrdiff_t>(d.valid_x));
    std::copy(t.valid_y.begin(), t.valid_y.end(), p.data.begin() + static_cast<ptrdiff_t>(d.valid_y));
    std::copy(t.epoch_order.begin(), t.epoch_order.end(), p.orders.begin() + static_cast<ptrdiff_t>(d.order));
  }
  return p;
}

void DeviceTaskSet::use(const TaskSet& ts, cudaStream_t stream) {
  std::vector<uint64_t> signature = signature_of(ts);
  if (ts.id != 0 && ts.id == id_ && signature == signature_) return;

  const PackedTaskSet p = pack_task_set(ts);
  data_.reserve_discarding(p.data.size());
  orders_.reserve_discarding(p.orders.size());
  table_.reserve_discarding(std::max<size_t>(p.table.size(), 1));
  AMLZ_CUDA_CHECK(
      cudaMemcpyAsync(data_.data(), p.data.data(), p.data.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
  AMLZ_CUDA_CHECK(cudaMemcpyAsync(orders_.data(), p.orders.data(), p.orders.size() * sizeof(uint32_t),
                                  cudaMemcpyHostToDevice, stream));
  if (!p.table.empty())
    AMLZ_CUDA_CHECK(cudaMemcpyAsync(table_.data(), p.table.data(), p.table.size() * sizeof(DeviceTask),
                                    cudaMemcpyHostToDevice, stream));
  AMLZ_CUDA_CHECK(cudaStreamSynchronize(stream));  // the packed host arrays die at return
  id_ = ts.id;
  signature_ = std::move(signature);
  features_.clear();
  for (const Task& t : ts.tasks) features_.push_back(t.features);
}

}  // namespace amlz::cuda
