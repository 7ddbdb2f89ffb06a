#include "platform/distributed/rank_failures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace spindle {
namespace {

// The longest message sent per failed rank; longer ones are cut and end with "...".
constexpr int64_t kMessageBytes = 4096;

std::string message_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

std::string rank_list(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size();) {
    size_t last = i;
    while (last + 1 < ranks.size() && ranks[last + 1] == ranks[last] + 1) ++last;
    if (!text.empty()) text += ", ";
    text += std::to_string(ranks[i]);
    if (last > i) text += fmt::format("-{}", ranks[last]);
    i = last + 1;
  }
  return (ranks.size() > 1 ? "ranks " : "rank ") + text;
}

RankFailures::RankFailures(Communicator& world, std::string task) : world_(world), task_(std::move(task)) {
  SPINDLE_CHECK(world.device().is_cpu(), "RankFailures on " + world.name(), "a communicator of device tensors",
                "a host (MPI) communicator");
}

bool RankFailures::check(bool more_work) {
  if (world_.size() == 1) {
    if (!failure_) return more_work;
    thrown_ = true;
    std::rethrow_exception(failure_);
  }
  const int size = world_.size();
  Tensor flags = Tensor::from_vector<int64_t>({failure_ ? 1 : 0, more_work ? 1 : 0}, {1, 2});
  Tensor all_flags = Tensor::empty({size, 2}, DType::i64);
  world_.all_gather(flags, all_flags);
  bool any_failed = false, any_more_work = false;
  for (int r = 0; r < size; ++r) {
    any_failed = any_failed || all_flags.data<int64_t>()[2 * r] != 0;
    any_more_work = any_more_work || all_flags.data<int64_t>()[2 * r + 1] != 0;
  }
  if (!any_failed) return any_more_work;

  std::string mine = failure_ ? message_of(failure_) : "";
  if (static_cast<int64_t>(mine.size()) > kMessageBytes) mine = mine.substr(0, kMessageBytes - 3) + "...";
  Tensor piece = Tensor::zeros({kMessageBytes}, DType::u8);
  std::copy(mine.begin(), mine.end(), piece.data<uint8_t>());
  Tensor messages = Tensor::empty({size * kMessageBytes}, DType::u8);
  world_.all_gather(piece, messages);
  // Ranks with the same message together, in the order of their first rank.
  std::vector<std::pair<std::string, std::vector<int>>> failures;
  for (int r = 0; r < size; ++r) {
    if (all_flags.data<int64_t>()[2 * r] == 0) continue;
    const char* text = reinterpret_cast<const char*>(messages.data<uint8_t>()) + r * kMessageBytes;
    const std::string message(text, std::find(text, text + kMessageBytes, '\0'));
    const auto same = std::find_if(failures.begin(), failures.end(), [&](const auto& f) { return f.first == message; });
    if (same == failures.end()) {
      failures.push_back({message, {r}});
    } else {
      same->second.push_back(r);
    }
  }
  std::string problem;
  for (const auto& [message, ranks] : failures) {
    problem += (problem.empty() ? "" : "; ") + rank_list(ranks) + " of " + std::to_string(size) + " failed: " + message;
  }
  thrown_ = true;
  throw Error(task_, problem);
}

void RankFailures::fail() {
  if (!thrown_) {
    failure_ = std::current_exception();
    check();  // throws: this rank has failed
  }
  throw;
}

}  // namespace spindle
