#pragma once
// /metrics in Prometheus' text exposition format, names in vLLM's style under `sunbae:`.
#include <string>

#include "engine/metrics.h"

namespace sunbae::server {

std::string prometheus_text(const engine::EngineStats& stats, const std::string& model_name);

}  // namespace sunbae::server
