#include "s3cors/faults/throttle.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace {

using namespace s3cors::faults;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

// A simulated transport: writes up to 64 KiB at a time as fast as the throttle allows, sleeping
// (on the simulated clock) until `wake` plus a timer lateness when it grants nothing.
struct simulation {
  steady_time now{};
  std::uint64_t sent = 0;
  std::size_t wakeups = 0;
  std::vector<std::pair<double, std::uint64_t>> trace;  // (seconds since start, bytes sent)
};

simulation run(throttle& t, steady_time start, std::uint64_t total, nanoseconds lateness = 0ns,
               std::size_t max_steps = 10'000'000) {
  simulation sim;
  sim.now = start;
  for (std::size_t step = 0; sim.sent < total && step < max_steps; ++step) {
    const std::uint64_t want = std::min<std::uint64_t>(64 * 1024, total - sim.sent);
    const throttle::grant g = t.next(sim.now, sim.sent, want);
    REQUIRE(g.bytes <= want);
    sim.sent += g.bytes;
    sim.trace.emplace_back(std::chrono::duration<double>(sim.now - start).count(), sim.sent);
    if (g.bytes < want && sim.sent < total) {
      if (g.bytes == 0) {
        REQUIRE(g.wake.has_value());
        REQUIRE(*g.wake > sim.now);  // never a busy loop
        sim.now = *g.wake + lateness;
        ++sim.wakeups;
      }
    }
  }
  return sim;
}

double seconds_between(steady_time a, steady_time b) {
  return std::chrono::duration<double>(b - a).count();
}

std::uint64_t sent_by(const simulation& sim, double at) {
  std::uint64_t sent = 0;
  for (const auto& [t, s] : sim.trace) {
    if (t <= at) sent = s;
  }
  return sent;
}

}  // namespace

TEST_CASE("faults throttle: the quantum is 500 ms of the rate within [16 KiB, 256 KiB]", "[faults]") {
  CHECK(throttle_quantum(0) == 16 * 1024);
  CHECK(throttle_quantum(10'000) == 16 * 1024);
  CHECK(throttle_quantum(64'000) == 32'000);
  CHECK(throttle_quantum(100'000) == 50'000);
  CHECK(throttle_quantum(1'000'000) == 256 * 1024);
  CHECK(throttle_quantum(100'000'000) == 256 * 1024);
  CHECK(throttle_quantum(rate_step::unlimited) == 256 * 1024);
}

TEST_CASE("faults throttle: the first quantum is 20 ms of the rate, at least 512 B", "[faults]") {
  CHECK(throttle_first_quantum(0) == 512);
  CHECK(throttle_first_quantum(10'000) == 512);
  CHECK(throttle_first_quantum(64'000) == 1280);
  CHECK(throttle_first_quantum(1'000'000) == 20'000);
  CHECK(throttle_first_quantum(100'000'000) == 256 * 1024);  // never more than a quantum
}

TEST_CASE("faults throttle: a cap is met within 1% from 64 kB/s to 100 MB/s", "[faults]") {
  const std::uint64_t rates[] = {64'000,        65'536,     256'000,    1'000'000,
                                 5'000'000 / 8, 12'500'000, 50'000'000, 100'000'000};
  const nanoseconds latenesses[] = {0ns, 1ms, 7ms};
  for (const std::uint64_t rate : rates) {
    for (const nanoseconds late : latenesses) {
      CAPTURE(rate, late.count());
      const steady_time start{};
      throttle t(rate, start);
      const std::uint64_t total = rate * 5;  // five seconds' worth
      const simulation sim = run(t, start, total, late);
      REQUIRE(sim.sent == total);
      const double measured = static_cast<double>(total) / seconds_between(start, sim.now);
      CHECK(measured <= static_cast<double>(rate) * 1.01);
      CHECK(measured >= static_cast<double>(rate) * 0.99);
      // At most one wake-up per write (64 KiB, or a quantum when smaller): no busy waiting.
      CHECK(sim.wakeups <= total / std::min<std::uint64_t>(64 * 1024, throttle_quantum(rate)) + 2);
    }
  }
}

TEST_CASE("faults throttle: a MB costs at most 63 wake-ups at any rate", "[faults]") {
  // Each wake-up is one timer and one write, whatever its size (docs/faults.md §4): a 16 KiB
  // quantum at least, as a client-paced connection writes 8-32 KiB per writable event. (With
  // 20 ms quanta of at least 512 B this was 1953 at 10 kB/s and 500 at 100 kB/s.)
  struct row {
    std::uint64_t rate;
    std::size_t max_wakeups_per_mb;
  };
  const row rows[] = {{1'000, 63},   {10'000, 63},    {20'000, 63},     {64'000, 33},
                      {100'000, 21}, {1'000'000, 16}, {100'000'000, 16}};
  for (const row& r : rows) {
    CAPTURE(r.rate);
    const steady_time start{};
    throttle t(r.rate, start);
    constexpr std::uint64_t total = 1'000'000;
    const simulation sim = run(t, start, total, 1ms);
    REQUIRE(sim.sent == total);
    CHECK(sim.wakeups <= r.max_wakeups_per_mb);
    // Still the cap: the first quantum at once, the rest at the rate (the last timer 1 ms late).
    const double expected =
        static_cast<double>(total - throttle_first_quantum(r.rate)) / static_cast<double>(r.rate);
    CHECK(seconds_between(start, sim.now) >= expected);
    CHECK(seconds_between(start, sim.now) <= expected + 0.002);
  }
}

TEST_CASE("faults throttle: a short body goes in one burst of a quantum", "[faults]") {
  const steady_time start{};
  throttle t(1'000'000, start);
  const auto g = t.next(start, 0, 1000);
  CHECK(g.bytes == 1000);
  throttle u(1'000'000, start);
  const auto h = u.next(start, 0, 64 * 1024);
  CHECK(h.bytes == 20'000);  // the first quantum: 20 ms
  REQUIRE(h.wake);
  // Then the rest of the 64 KiB asked for (less than a quantum): 45,536 bytes, 45.5 ms.
  CHECK(*h.wake - start > 45ms);
  CHECK(*h.wake - start < 46ms);
  CHECK(u.next(start + 1ms, 20'000, 64 * 1024).bytes == 0);  // 1,000 bytes: less than a quantum waits
  CHECK(u.next(start + 1ms, 20'000, 500).bytes == 500);      // unless that is all the body needs
}

TEST_CASE("faults throttle: the first byte is prompt at low rates", "[faults]") {
  const steady_time start{};
  SECTION("a cap: the first quantum at once, then full quanta") {
    throttle t(10'000, start);
    const auto first = t.next(start, 0, 64 * 1024);
    CHECK(first.bytes == 512);
    REQUIRE(first.wake);
    CHECK(seconds_between(start, *first.wake) == Approx(1.6384).margin(0.001));  // 16 KiB at 10 kB/s
    CHECK(t.next(start + 1s, 512, 64 * 1024).bytes == 0);
    CHECK(t.next(*first.wake, 512, 64 * 1024).bytes == 16 * 1024);
  }
  SECTION("a body that starts in an outage waits for the first quantum only") {
    throttle t(bandwidth_timeline{{{0, 1s}, {10'000, {}}}, false}, start, start);
    const auto g = t.next(start, 0, 64 * 1024);
    CHECK(g.bytes == 0);
    REQUIRE(g.wake);
    CHECK(seconds_between(start, *g.wake) == Approx(1.0512).margin(0.001));  // 1 s, then 512 B at 10 kB/s
    CHECK(t.next(*g.wake, 0, 64 * 1024).bytes == 512);
  }
}

TEST_CASE("faults throttle: a paused client catches up by a quantum and 250 ms of the cap at most",
          "[faults]") {
  const steady_time start{};
  throttle t(1'000'000, start);
  CHECK(t.next(start, 0, 20'000).bytes == 20'000);
  const auto later = t.next(start + 10s, 20'000, 10'000'000);
  CHECK(later.bytes == 256 * 1024 + 250'000);
  CHECK(t.next(start + 10s, 20'000 + later.bytes, 10'000'000).bytes == 0);
}

TEST_CASE("faults throttle: a timeline changes the rate and lifts the cap at its end", "[faults]") {
  // 5 Mbit/s for 2 s, then 500 kbit/s for 2 s, then no cap.
  const bandwidth_timeline timeline{{{625'000, 2s}, {62'500, 2s}}, false};
  const steady_time start{};
  throttle t(timeline, start, start);
  CHECK(t.rate_at(start) == 625'000);
  CHECK(t.rate_at(start + 2500ms) == 62'500);
  CHECK(t.rate_at(start + 4s) == rate_step::unlimited);
  const simulation sim = run(t, start, 2'000'000);
  REQUIRE(sim.sent == 2'000'000);
  const double at2 = static_cast<double>(sent_by(sim, 2.0));
  CHECK(at2 == Approx(1'250'000).epsilon(0.02));
  const double at4 = static_cast<double>(sent_by(sim, 3.999));
  // The slower step, plus at most a quantum earned at the faster rate before the change.
  CHECK(at4 - at2 >= 125'000 * 0.98);
  CHECK(at4 - at2 <= 125'000 * 1.02 + static_cast<double>(throttle_quantum(625'000)));
  // After the timeline, the rest goes at once.
  CHECK(seconds_between(start, sim.now) == Approx(4.0).epsilon(0.01));
}

TEST_CASE("faults throttle: a timeline started before the body is joined where it has got to", "[faults]") {
  const bandwidth_timeline timeline{{{1'000'000, 20s}, {100'000, {}}}, false};
  const steady_time origin{};
  const steady_time start = origin + 30s;
  throttle t(timeline, origin, start);
  const simulation sim = run(t, start, 500'000);
  CHECK(static_cast<double>(sim.sent) / seconds_between(start, sim.now) == Approx(100'000).epsilon(0.01));
}

TEST_CASE("faults throttle: loops, outages and stalls", "[faults]") {
  const steady_time start{};
  SECTION("a looping timeline averages its steps") {
    throttle t(bandwidth_timeline{{{1'000'000, 1s}, {0, 1s}}, true}, start, start);
    const simulation sim = run(t, start, 10'000'000);
    CHECK(static_cast<double>(sim.sent) / seconds_between(start, sim.now) == Approx(526'000).epsilon(0.02));
    CHECK(sent_by(sim, 1.5) == sent_by(sim, 1.999));  // nothing flows in the 0 step
  }
  SECTION("an outage then the cap lifted") {
    throttle t(bandwidth_timeline{{{0, 3s}}, false}, start, start);
    const auto g = t.next(start, 0, 1000);
    CHECK(g.bytes == 0);
    REQUIRE(g.wake);
    CHECK(*g.wake - start >= 3s);
    CHECK(t.next(*g.wake, 0, 1'000'000).bytes == 1'000'000);
  }
  SECTION("rate 0 for ever never wakes") {
    throttle t(bandwidth_timeline{{{0, {}}}, false}, start, start);
    const auto g = t.next(start + 1s, 0, 1);
    CHECK(g.bytes == 0);
    CHECK_FALSE(g.wake);
  }
  SECTION("an unlimited step between caps") {
    throttle t(bandwidth_timeline{{{100'000, 1s}, {rate_step::unlimited, 1s}, {100'000, {}}}, false}, start,
               start);
    CHECK(t.next(start + 1500ms, 0, 5'000'000).bytes == 5'000'000);
    const auto after = t.next(start + 2s, 5'000'000, 64 * 1024);
    CHECK(after.bytes == throttle_quantum(100'000));
  }
  SECTION("no steps: no cap") {
    throttle t(bandwidth_timeline{}, start, start);
    CHECK(t.next(start, 0, 123456789).bytes == 123456789);
  }
}
