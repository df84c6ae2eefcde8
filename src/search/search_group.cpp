// SPDX-License-Identifier: Apache-2.0
#include "amlz/search/search_group.h"

#include <algorithm>

namespace amlz {

std::vector<uint32_t> SearchGroup::local_islands(uint32_t islands) const {
  std::vector<uint32_t> out;
  for (uint32_t i = static_cast<uint32_t>(rank()); i < islands; i += static_cast<uint32_t>(ranks())) out.push_back(i);
  return out;
}

std::vector<std::pair<uint32_t, std::string>> SearchGroup::exchange(uint64_t,
                                                                    std::vector<std::pair<uint32_t, std::string>> out) {
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::pair<uint32_t, std::string>> SearchGroup::gather(std::vector<std::pair<uint32_t, std::string>> local) {
  return local;
}

}  // namespace amlz
