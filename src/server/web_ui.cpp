#include "server/web_ui.h"

#include <httplib.h>

#include <string>

#include "server/web_assets.h"

namespace sunbae::server {

namespace {

// The page needs nothing but its own files and the API of the same origin: no inline script or
// style, no other hosts, no framing, no form posts. A bug that injected markup could then neither
// run script nor send data anywhere.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string route_pattern(std::string_view name) {
  if (name == "index.html") return "/";
  std::string p = "/";
  for (char c : name) {
    if (c == '.') p += '\\';  // httplib routes are regexes
    p += c;
  }
  return p;
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".json", "application/json"},         {".png", "image/png"},
  };
  for (const auto& t : kTypes)
    if (name.size() > t.ext.size() && name.substr(name.size() - t.ext.size()) == t.ext) return t.type;
  return "application/octet-stream";
}

void add_web_ui(httplib::Server& svr) {
  for (size_t i = 0; i < kWebAssetCount; ++i) {
    const WebAsset asset = kWebAssets[i];
    svr.Get(route_pattern(asset.name), [asset](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy", kCsp);
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      // Revalidated each time: a new binary must not be paired with a cached script of an old one.
      res.set_header("Cache-Control", "no-cache");
      res.set_content(asset.body.data(), asset.body.size(), std::string(content_type_for(asset.name)));
    });
  }
}

}  // namespace sunbae::server
