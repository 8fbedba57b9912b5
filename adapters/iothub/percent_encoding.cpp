#include "adapters/iothub/percent_encoding.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
// Boost.URL is header-only here: this is the one translation unit that
// compiles its sources.
#include <boost/url/src.hpp>

namespace offhub::iothub {
namespace {

// RFC 3986's unreserved characters plus the marks encodeURIComponent keeps.
constexpr boost::urls::grammar::lut_chars kUriComponentChars = boost::urls::unreserved_chars + "!'()*";

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text) {
  const auto view = boost::urls::make_pct_string_view(text);
  if (!view) return std::nullopt;
  return view->decode();
}

std::string EncodeUriComponent(std::string_view text) { return boost::urls::encode(text, kUriComponentChars); }

std::string EncodeUriComponentStrict(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : EncodeUriComponent(text)) {
    switch (c) {
      case '!': out += "%21"; break;
      case '\'': out += "%27"; break;
      case '(': out += "%28"; break;
      case ')': out += "%29"; break;
      case '*': out += "%2a"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace offhub::iothub
