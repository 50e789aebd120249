// The metrics endpoint: HTTP/1.1 on the kernel's TCP stack (management
// side), Boost.Beast over Boost.Asio on a thread of its own. GET /metrics
// answers the body the handler returns (200, Prometheus text format 0.0.4),
// other paths 404, other methods on /metrics 405, and 503 when the handler
// has nothing (control plane busy or stopping). The thread does socket I/O
// only: the handler is what reaches the control thread (ControlQueue). At
// most 64 connections at once; idle ones close after 30 s.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace pmx::control {

class HttpServer {
 public:
  using Handler = std::function<std::optional<std::string>()>;

  // Binds addr:port (port 0: any) and starts serving. Throws
  // std::runtime_error with the reason if it cannot bind.
  HttpServer(const std::string& addr, uint16_t port, Handler h);
  ~HttpServer();  // stops the thread; open connections are dropped
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pmx::control
