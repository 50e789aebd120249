// Listener specifications from the command line (--listen IP:PORT=SERVICE
// [,key=value...]) and the CLI (listen IP PORT SERVICE [key value]...).
#pragma once

#include "config/options.hpp"
#include "tcp/listener.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pmx::control {

// Throws OptionError naming the bad part. `where` prefixes the message.
tcp::ListenSpec make_listen_spec(const std::string& where, const std::string& ip,
                                 const std::string& port, const std::string& service,
                                 const std::vector<std::pair<std::string, std::string>>& kv);
// "IP:PORT=SERVICE[,key=value...]".
tcp::ListenSpec parse_listen_option(const std::string& v);

std::string describe(
    const tcp::ListenSpec& s);  // "0.0.0.0:80 http size=64 backlog=1024 cc=newreno"

}  // namespace pmx::control
