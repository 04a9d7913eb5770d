#include "s3cors/faults/throttle.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace s3cors::faults {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
// Tokens kept at most: this much time at the cap in force (docs/faults.md §4).
constexpr double bucket_seconds = 0.25;
// Rounding slack, in bytes and seconds, so a wake-up at the computed instant always finds its
// quantum (floating-point sums may fall a hair short of it).
constexpr double byte_slack = 1e-3;

double to_rate(std::uint64_t bytes_per_second) {
  return bytes_per_second == rate_step::unlimited ? infinity : static_cast<double>(bytes_per_second);
}

double quantum(double rate) {
  return std::isinf(rate) ? infinity
                          : static_cast<double>(throttle_quantum(static_cast<std::uint64_t>(rate)));
}

double first_quantum(double rate) {
  return std::isinf(rate) ? infinity
                          : static_cast<double>(throttle_first_quantum(static_cast<std::uint64_t>(rate)));
}

// The bucket's depth at `rate`: a quantum plus 250 ms, so a timer that fires up to 250 ms
// after its quantum has accrued loses nothing.
double depth_at(double rate) {
  return std::isinf(rate) ? 0.0 : quantum(rate) + rate * bucket_seconds;
}

}  // namespace

std::uint64_t throttle_quantum(std::uint64_t bytes_per_second) noexcept {
  // Each quantum costs one timer wake-up and one write (~13 us of server CPU in bench/faults.sh),
  // whatever its size: 500 ms of the rate, at least 16 KiB, makes a throttled connection write
  // no more often than a client-paced one at the same rate (docs/faults.md §4).
  constexpr std::uint64_t min_quantum = 16 * 1024;
  constexpr std::uint64_t max_quantum = 256 * 1024;
  return std::clamp<std::uint64_t>(bytes_per_second / 2, min_quantum, max_quantum);
}

std::uint64_t throttle_first_quantum(std::uint64_t bytes_per_second) noexcept {
  constexpr std::uint64_t min_first = 512;
  return std::min(std::max<std::uint64_t>(bytes_per_second / 50, min_first),
                  throttle_quantum(bytes_per_second));
}

throttle::throttle(std::uint64_t bytes_per_second, steady_time start)
    : throttle(bandwidth_timeline{{rate_step{bytes_per_second, {}}}, false}, start, start) {}

throttle::throttle(bandwidth_timeline timeline, steady_time origin, steady_time start)
    : timeline_(std::move(timeline)), origin_(origin) {
  if (!timeline_.steps.empty() && timeline_.steps.back().duration.count() > 0) {
    for (const rate_step& s : timeline_.steps) {
      const double d = std::chrono::duration<double>(s.duration).count();
      period_ += d;
      period_bytes_ +=
          s.bytes_per_second == rate_step::unlimited ? infinity : to_rate(s.bytes_per_second) * d;
    }
  }
  base_time_ = std::max(0.0, seconds(start));
  // The first (small) quantum goes at once, as the first write of an unthrottled body would
  // (none when the body starts in an outage); the bucket fills from there.
  const double rate = segment_at(base_time_).rate;
  tokens_ = rate > 0 ? first_quantum(rate) : 0.0;
}

double throttle::seconds(steady_time t) const noexcept {
  return std::chrono::duration<double>(t - origin_).count();
}

throttle::segment throttle::segment_at(double t) const noexcept {
  const auto& steps = timeline_.steps;
  if (steps.empty()) return {infinity, infinity};
  t = std::max(t, 0.0);
  double base = 0;
  if (period_ > 0 && t >= period_) {
    if (!timeline_.loop) return {infinity, infinity};  // the timeline is over: the cap is lifted
    base = std::floor(t / period_) * period_;
  }
  double acc = base;
  for (const rate_step& s : steps) {
    if (s.duration.count() <= 0) return {to_rate(s.bytes_per_second), infinity};
    const double end = acc + std::chrono::duration<double>(s.duration).count();
    if (t < end) return {to_rate(s.bytes_per_second), end};
    acc = end;
  }
  // Rounding put t at the period's very end: the next period's first step.
  return {to_rate(steps.front().bytes_per_second),
          acc + std::chrono::duration<double>(steps.front().duration).count()};
}

double throttle::integral(double from, double to) const noexcept {
  double total = 0;
  if (timeline_.loop && period_ > 0 && to - from > period_) {
    const double whole = std::floor((to - from) / period_);
    if (std::isinf(period_bytes_)) return infinity;
    total += whole * period_bytes_;
    from += whole * period_;
  }
  double t = from;
  while (t < to) {
    const segment s = segment_at(t);
    if (std::isinf(s.rate)) return infinity;
    const double end = std::min(std::max(s.end, std::nextafter(t, infinity)), to);
    total += s.rate * (end - t);
    t = end;
  }
  return total;
}

std::optional<double> throttle::time_for(double from, double amount) const noexcept {
  double t = from;
  if (amount <= 0) return t;
  if (timeline_.loop && period_ > 0 && period_bytes_ > 0 && !std::isinf(period_bytes_) &&
      amount > period_bytes_) {
    const double whole = std::floor(amount / period_bytes_) - 1;
    if (whole > 0) {
      t += whole * period_;
      amount -= whole * period_bytes_;
    }
  }
  // At most one pass over the steps per period (the loop above skipped the rest), plus one.
  for (std::size_t guard = 0; guard < 4 * (timeline_.steps.size() + 2); ++guard) {
    const segment s = segment_at(t);
    if (std::isinf(s.rate)) return t;
    if (s.rate > 0) {
      const double needed = amount / s.rate;
      if (t + needed <= s.end) return t + needed;
      amount -= s.rate * (s.end - t);
    }
    if (std::isinf(s.end)) return std::nullopt;  // rate 0 for ever
    t = std::max(s.end, std::nextafter(t, infinity));
  }
  return std::nullopt;
}

throttle::grant throttle::next(steady_time now, std::uint64_t sent, std::uint64_t want) {
  const double t = std::max(seconds(now), base_time_);
  const segment current = segment_at(t);
  // Until the first byte, a grant needs only the first quantum (time to first byte stays short).
  const double q = sent == 0 ? first_quantum(current.rate) : quantum(current.rate);
  // Tokens earned just before a step change (into an outage, say) are kept: the depth is the
  // larger of the two steps'.
  const double earlier = segment_at(base_time_).rate;
  const double depth = std::max(depth_at(current.rate), depth_at(earlier));

  // Refill since the last call, less what was written since, at most `depth`.
  const double accrued = integral(base_time_, t);
  const double written = static_cast<double>(sent - std::min(sent, base_sent_));
  // Writes since the last call spent the tokens held then; refills since are capped at `depth`.
  tokens_ = std::min(tokens_ - written + accrued, depth);
  if (std::isinf(accrued) && !std::isinf(current.rate)) tokens_ = q;  // an unlimited step just ended
  base_time_ = t;
  base_sent_ = sent;

  grant g;
  if (want == 0) return g;
  if (std::isinf(current.rate)) {
    g.bytes = want;
    tokens_ = 0;
    return g;
  }
  const double need = std::min(static_cast<double>(want), q);
  if (tokens_ + byte_slack >= need) {
    g.bytes = std::min(want, static_cast<std::uint64_t>(std::floor(tokens_ + byte_slack)));
    if (g.bytes == want) return g;
  }
  // The next grant is a full quantum (or the rest of `want`).
  const double next_need =
      g.bytes == 0 ? need : std::min(static_cast<double>(want - g.bytes), quantum(current.rate));
  const double short_of = next_need - (tokens_ - static_cast<double>(g.bytes));
  if (const auto when = time_for(t, short_of)) {
    const auto offset =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(*when));
    g.wake = std::max(origin_ + offset + std::chrono::nanoseconds(1), now + std::chrono::nanoseconds(1));
  }
  return g;
}

std::uint64_t throttle::rate_at(steady_time t) const noexcept {
  const double rate = segment_at(seconds(t)).rate;
  return std::isinf(rate) ? rate_step::unlimited : static_cast<std::uint64_t>(rate);
}

}  // namespace s3cors::faults
