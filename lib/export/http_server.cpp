// Boost.Beast (header-only, Boost 1.74) was chosen over a hand-written
// parser: it is the HTTP/1.1 implementation Boost ships, already a
// dependency family of ours (Program_options), handles keep-alive and
// malformed requests, and needs no extra runtime library.
#include "export/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace pmx::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Connections served at once; more are closed as soon as accepted, so a
// misbehaving client cannot exhaust the appliance's descriptors.
constexpr unsigned kMaxSessions = 64;

// One client connection: read a request, answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, const HttpServer::Handler& h, unsigned& live)
      : stream_(std::move(s)), handler_(h), live_(live) {
    ++live_;
  }
  ~Session() { --live_; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void read() {
    req_ = {};
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buf_, req_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::server, "portmux");
    const std::string_view target(req_.target().data(), req_.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") {
      reply(http::status::not_found, "text/plain", "not found: try /metrics\n");
    } else if (req_.method() != http::verb::get) {
      res_.set(http::field::allow, "GET");
      reply(http::status::method_not_allowed, "text/plain", "only GET\n");
    } else if (auto body = handler_()) {
      // The exposition format's content type (text format 0.0.4).
      reply(http::status::ok, "text/plain; version=0.0.4; charset=utf-8", std::move(*body));
    } else {
      reply(http::status::service_unavailable, "text/plain", "control plane busy\n");
    }
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      if (self->res_.keep_alive()) {
        self->read();
      } else {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      }
    });
  }

  void reply(http::status st, const char* type, std::string body) {
    res_.result(st);
    res_.set(http::field::content_type, type);
    res_.body() = std::move(body);
    res_.prepare_payload();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::empty_body> req_;
  http::response<http::string_body> res_;
  const HttpServer::Handler& handler_;
  unsigned& live_;  // sessions alive; only the server's thread touches it
};

}  // namespace

struct HttpServer::Impl {
  Impl(const std::string& addr, uint16_t port, Handler h) : handler(std::move(h)), acceptor(io) {
    beast::error_code ec;
    const auto a = asio::ip::make_address(addr, ec);
    if (ec) throw std::runtime_error("--metrics: bad address '" + addr + "'");
    const tcp::endpoint ep(a, port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("--metrics " + addr + ":" + std::to_string(port) + ": " +
                               ec.message());
    accept();
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (!ec && live < kMaxSessions)
        std::make_shared<Session>(std::move(s), handler, live)->read();
      // else: s closes here
      if (acceptor.is_open()) accept();
    });
  }

  Handler handler;
  unsigned live = 0;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;
};

HttpServer::HttpServer(const std::string& addr, uint16_t port, Handler h)
    : impl_(std::make_unique<Impl>(addr, port, std::move(h))) {}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace pmx::control
