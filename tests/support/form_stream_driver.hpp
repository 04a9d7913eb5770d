#pragma once
// Drives multipart_form_stream over a body cut into pieces, checking the order of its events,
// and compares what it read with parse_multipart_form's answer for the whole body. Plain
// functions returning what went wrong, so that thousands of splits cost one Catch assertion.
// Header-only so that any test target can use it.
#include "s3cors/http/multipart_form.hpp"
#include "s3cors/http/multipart_form_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::test {

/// What a stream read from a body: the error, or the form with the file's bytes gathered.
struct streamed_form {
  std::optional<s3::error_detail> error;
  http::multipart_form form;  ///< form.file stays empty
  std::string file;
  std::uint64_t file_offset = 0;
  std::size_t most_held_back = 0;  ///< after the file began
  std::string problem;             ///< events out of order; empty when none
};

/// Feeds body cut before each offset in cuts (ascending; repeats give empty pieces), then
/// finishes. Every feed after an error must repeat it.
inline streamed_form stream_form(std::string_view content_type, std::string_view body,
                                 const std::vector<std::size_t>& cuts) {
  streamed_form out;
  auto stream = http::multipart_form_stream::create(content_type);
  if (!stream) {
    out.error = stream.error();
    return out;
  }
  bool began = false;
  bool ended = false;
  const auto take = [&](const http::multipart_form_stream::events& events) {
    if (events.file_begin != nullptr) {
      if (began) out.problem += "file_begin twice; ";
      began = true;
      out.form = *events.file_begin;
      out.file_offset = stream->file_offset();
      if (!out.form.file.empty()) out.problem += "form.file not empty; ";
    }
    if (events.data_count > 0 && (!began || ended)) out.problem += "data outside the file; ";
    for (const std::string_view slice : events.file_data()) {
      if (slice.empty()) out.problem += "empty slice; ";
      out.file += slice;
    }
    if (events.file_end) {
      if (!began || ended) out.problem += "file_end out of order; ";
      ended = true;
    }
    if (began) out.most_held_back = std::max(out.most_held_back, stream->held_back());
  };
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : body.size();
    auto events = stream->feed(body.substr(from, to - from));
    from = to;
    if (!events) {
      out.error = events.error();
      const auto again = stream->feed("x");
      if (again.has_value() || again.error().code != out.error->code) out.problem += "error not repeated; ";
      return out;
    }
    take(*events);
  }
  auto events = stream->finish();
  if (!events) {
    out.error = events.error();
    return out;
  }
  take(*events);
  if (!began || !ended) out.problem += "finished without a whole file; ";
  if (stream->file_size() != out.file.size()) out.problem += "file_size differs; ";
  return out;
}

/// What differs between the stream's reading and parse_multipart_form's; empty when nothing.
inline std::string compare_with_whole(const streamed_form& streamed,
                                      const result<http::multipart_form, s3::error_detail>& whole) {
  std::string out = streamed.problem;
  if (whole.has_error() || streamed.error) {
    if (!whole.has_error()) return out + "the stream failed, the whole body parsed";
    if (!streamed.error) return out + "the stream parsed, the whole body failed";
    const auto& a = *streamed.error;
    const auto& b = whole.error();
    if (a.code != b.code || a.message != b.message || a.fields != b.fields) out += "another error";
    return out;
  }
  const auto& form = *whole;
  if (streamed.form.fields != form.fields) out += "fields differ; ";
  if (streamed.form.has_file != form.has_file || streamed.form.has_filename != form.has_filename ||
      streamed.form.filename != form.filename || streamed.form.file_content_type != form.file_content_type) {
    out += "file part differs; ";
  }
  if (streamed.file != form.file) out += "file bytes differ; ";
  if (streamed.most_held_back > http::multipart_form_stream::max_held_back) out += "held back too much; ";
  return out;
}

/// The cuts of one split plan and what went wrong with it.
struct split_failure {
  std::string plan;
  std::string problem;
};

/// Feeds body to the stream in many ways and compares each with parse_multipart_form(body):
/// one piece; byte by byte (bodies up to 64 KiB); every two-piece split (up to 2 KiB, else
/// sampled, densely around the file's ends and the pre-data limit); random pieces, some empty.
/// Returns the first failure, if any.
inline std::optional<split_failure> check_every_split(std::string_view content_type, std::string_view body,
                                                      bool is_exhaustive = true) {
  const auto whole = http::parse_multipart_form(content_type, body);
  const auto check = [&](const std::vector<std::size_t>& cuts,
                         std::string plan) -> std::optional<split_failure> {
    std::string problem = compare_with_whole(stream_form(content_type, body, cuts), whole);
    if (problem.empty()) return std::nullopt;
    return split_failure{std::move(plan), std::move(problem)};
  };
  if (auto failure = check({}, "one piece")) return failure;
  if (body.size() <= 64 * 1024) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    if (auto failure = check(cuts, "byte by byte")) return failure;
  }
  std::vector<std::size_t> singles;
  if (is_exhaustive && body.size() <= 2048) {
    for (std::size_t i = 0; i <= body.size(); ++i) singles.push_back(i);
  } else if (is_exhaustive) {
    const std::size_t step = body.size() / 256 + 1;
    for (std::size_t i = 0; i <= body.size(); i += step) singles.push_back(i);
    std::vector<std::size_t> marks{http::max_post_pre_data_length, body.size()};
    if (whole) {
      const auto begin = static_cast<std::size_t>(whole->file.data() - body.data());
      marks.push_back(begin);
      marks.push_back(begin + whole->file.size());
    }
    for (const std::size_t mark : marks) {
      for (std::size_t i = mark > 300 ? mark - 300 : 0; i <= std::min(body.size(), mark + 300); ++i) {
        singles.push_back(i);
      }
    }
  }
  for (const std::size_t cut : singles) {
    if (auto failure = check({cut}, "cut at " + std::to_string(cut))) return failure;
  }
  std::uint64_t state = 0x9E3779B97F4A7C15ULL ^ body.size();
  const auto next = [&state] {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    return state;
  };
  for (int round = 0; round < 4; ++round) {
    const std::uint64_t largest = round % 2 == 0 ? 8 : 300;
    std::vector<std::size_t> cuts;
    std::string plan = "random pieces:";
    for (std::size_t at = 0; at < body.size();) {
      at = std::min(body.size(), at + static_cast<std::size_t>(next() % largest));  // 0: an empty piece
      cuts.push_back(at);
      plan += ' ' + std::to_string(at);
    }
    if (auto failure = check(cuts, plan)) return failure;
  }
  return std::nullopt;
}

}  // namespace s3cors::test
