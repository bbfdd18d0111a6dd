#pragma once
// The files of the web page (web/ in the source tree), compiled into the binary: web_assets.cpp is
// generated at build time by cmake/embed_files.cmake.
#include <cstddef>
#include <string_view>

namespace sunbae::server {

struct WebAsset {
  std::string_view name;  // the file's name under web/, e.g. "app.js"
  std::string_view body;
};

extern const WebAsset kWebAssets[];
extern const size_t kWebAssetCount;

}  // namespace sunbae::server
