#pragma once
// Pacing for throttled bodies (docs/faults.md §4): a token bucket computed from a rate cap or a
// bandwidth timeline, the time (injected) and the bytes sent so far. No threads, no sleeps: the
// transport asks how much it may write now and, when that is nothing, arms one timer for `wake`.
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace s3cors::faults {

using steady_time = std::chrono::steady_clock::time_point;

/// One step of a bandwidth timeline.
struct rate_step {
  static constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t bytes_per_second = unlimited;  ///< 0: nothing flows; unlimited: no cap
  std::chrono::nanoseconds duration{0};        ///< 0: to the end of time (last step only)

  friend bool operator==(const rate_step&, const rate_step&) = default;
};

/// Steps in order. After the last step (when it has a duration) the cap is lifted, unless `loop`
/// starts the timeline again.
struct bandwidth_timeline {
  std::vector<rate_step> steps;
  bool loop = false;

  friend bool operator==(const bandwidth_timeline&, const bandwidth_timeline&) = default;
};

/// The bytes a grant waits for (after the first): 500 ms at `rate`, clamped to [16 KiB, 256 KiB].
/// Each quantum costs one timer wake-up and one write, so bigger quanta cost less CPU per byte;
/// smaller ones make a smoother flow (docs/faults.md §4).
[[nodiscard]] std::uint64_t throttle_quantum(std::uint64_t bytes_per_second) noexcept;

/// The first write's allowance, available at once: 20 ms at `rate`, at least 512 B, at most a
/// quantum. This initial burst is the only deviation from the cap.
[[nodiscard]] std::uint64_t throttle_first_quantum(std::uint64_t bytes_per_second) noexcept;

/// A token bucket over a cap or a timeline. One per throttled body, owned by its connection;
/// not synchronised. Calls must come with non-decreasing `now` and `sent`.
class throttle {
 public:
  /// A constant cap from `start` (the moment the body begins).
  throttle(std::uint64_t bytes_per_second, steady_time start);
  /// A timeline whose first step begins at `origin` (a rule's first match, or `start`); the
  /// body begins at `start` (>= origin) at whatever step the timeline has reached.
  throttle(bandwidth_timeline timeline, steady_time origin, steady_time start);

  struct grant {
    std::uint64_t bytes = 0;  ///< may be written now (<= want)
    /// When bytes < want: the time the next quantum is allowed; nullopt when none ever will be
    /// (a last step of rate 0: a stall until the client gives up).
    std::optional<steady_time> wake;
  };

  /// How much of `want` more bytes may be written at `now`, `sent` bytes having been written so
  /// far. Tokens accrue at the cap in force and are capped at a quantum plus 250 ms of it (so a
  /// client that paused catches up by no more than that); a grant is nothing rather than less
  /// than a quantum (the first quantum until the first byte is written).
  [[nodiscard]] grant next(steady_time now, std::uint64_t sent, std::uint64_t want);

  /// The cap in force at `t` (rate_step::unlimited when none).
  [[nodiscard]] std::uint64_t rate_at(steady_time t) const noexcept;

 private:
  struct segment {
    double rate;  ///< bytes per second; +inf when unlimited
    double end;   ///< seconds after origin_; +inf when it never ends
  };
  [[nodiscard]] segment segment_at(double t) const noexcept;
  /// Bytes the cap allows between two times (seconds after origin_); +inf through an unlimited step.
  [[nodiscard]] double integral(double from, double to) const noexcept;
  /// The first time >= from by which `amount` bytes have accrued; nullopt when never.
  [[nodiscard]] std::optional<double> time_for(double from, double amount) const noexcept;
  [[nodiscard]] double seconds(steady_time t) const noexcept;

  bandwidth_timeline timeline_;
  steady_time origin_;
  double period_ = 0;        ///< total of the steps' durations when the last one ends, else 0
  double period_bytes_ = 0;  ///< bytes one period allows (+inf with an unlimited step)
  // The bucket, as of the last call.
  double base_time_ = 0;  ///< seconds after origin_
  std::uint64_t base_sent_ = 0;
  double tokens_ = 0;
};

}  // namespace s3cors::faults
