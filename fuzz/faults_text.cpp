// libFuzzer target for the media faults core: HLS playlists and DASH MPDs through media_index
// (and lookups of the keys they name), and fault rules through parse_rule. The first byte picks
// the parser. Any input must be indexed, parsed or refused without crashing, leaking or hanging;
// a rule that parses must parse back from to_json to the same rule.
#include "s3cors/faults/engine.hpp"
#include "s3cors/faults/media_kind.hpp"
#include "s3cors/faults/rules.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace s3cors::faults;
  switch (mode % 3) {
    case 0: {
      media_index index;
      const auto next = index.add("b", "dir/master.m3u8", text);
      for (const std::string& key : next) (void)index.find("b", key);
      (void)index.add_dash("b", "dir/a.mpd", text);
      (void)index.find("b", "dir/seg-00001.m4s");
      (void)index.find("b", "dir/v1/seg-2.m4s");
      (void)lookup(index, "b", text.substr(0, 64), text.substr(0, 32), text);
      index.remove("b", "dir/master.m3u8");
      break;
    }
    case 1: {
      const auto parsed = parse_rule(text);
      if (!parsed) return 0;
      const std::string json = to_json(*parsed);
      const auto again = parse_rule(json);
      if (!again || !(*again == *parsed)) {
        std::fprintf(stderr, "fuzz_faults_text: to_json did not parse back: %.2000s\n", json.c_str());
        std::abort();
      }
      fault_engine engine;
      (void)engine.add(*parsed);
      fault_request r;
      r.bucket = "b";
      r.key = "k";
      r.method = "GET";
      (void)engine.decide(r);
      break;
    }
    default:
      (void)parse_rate(text);
      (void)parse_duration(text);
      (void)parse_size(text);
      (void)glob_matches(text.substr(0, text.size() / 2), text.substr(text.size() / 2));
      break;
  }
  return 0;
}
