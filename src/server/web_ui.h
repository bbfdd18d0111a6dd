#pragma once
// The feedback web page: the embedded files of web/ served at / (index.html) and /<name> (the
// rest), with their content types and a Content-Security-Policy that allows only this origin.
#include <string_view>

namespace httplib {
class Server;
}

namespace sunbae::server {

void add_web_ui(httplib::Server& svr);

// "text/html; charset=utf-8" for "index.html", and so on; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view name);

}  // namespace sunbae::server
