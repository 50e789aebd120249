// docs/tcp.md's state x event table, checked against the engine: every row
// is driven (the state reached, the event applied, the next state read),
// and every case this test knows must be a row, so the table can neither
// lie nor quietly lose a row.
#include "tcp_fixture.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace pmx::tcp::test {
namespace {

struct Row {
  std::string state, event, next;
};

std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The rows between the state-table markers of docs/tcp.md.
std::vector<Row> read_table() {
  std::ifstream f(std::string(PMX_SOURCE_ROOT) + "/docs/tcp.md");
  std::vector<Row> rows;
  std::string line;
  bool in = false;
  while (std::getline(f, line)) {
    if (line.find("<!-- state-table: begin -->") != std::string::npos) in = true;
    if (line.find("<!-- state-table: end -->") != std::string::npos) break;
    if (!in || line.rfind("| ", 0) != 0 || line.rfind("| ---", 0) == 0 ||
        line.rfind("| state ", 0) == 0)
      continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) cells.push_back(trim(c));
    if (cells.size() >= 3) rows.push_back({cells[0], cells[1], cells[2]});
  }
  return rows;
}

class StateTable : public TcpTest {
 protected:
  // Where the peer's next segment starts and what it acknowledges.
  uint32_t peer_ = 0, ours_ = 0;

  // Drives a fresh connection into `s`; false if this test cannot.
  bool reach(const std::string& s) {
    if (s == "SYN_RECV") {
      syn(kEcho);
      peer_ = R(1), ours_ = L(1);
    } else if (s == "ESTABLISHED") {
      established();
      peer_ = R(1), ours_ = L(1);
    } else if (s == "FIN_WAIT_1" || s == "FIN_WAIT_2" || s == "CLOSING") {
      const uint32_t n = s == "FIN_WAIT_2" ? fin_wait_2() : fin_wait_1();
      peer_ = peer_next_, ours_ = L(2 + n);  // past our FIN
      if (s == "CLOSING") {
        send({.seq = peer_, .ack = L(1 + n), .flags = flag::ACK | flag::FIN});
        take();
        ++peer_;
      }
    } else if (s == "LAST_ACK") {
      established();
      send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN});
      take();
      peer_ = R(2), ours_ = L(2);
    } else if (s == "TIME_WAIT") {
      const uint32_t n = time_wait();
      peer_ = peer_next_, ours_ = L(2 + n);  // "FIN" is then its retransmission
    } else {
      return false;
    }
    take();
    return state() == state_of(s);
  }

  // Applies `e`; false if this test does not know it.
  bool apply(const std::string& e) {
    if (e == "ACK") {
      send({.seq = peer_, .ack = ours_});
    } else if (e == "FIN") {
      send({.seq = peer_, .ack = ours_, .flags = flag::ACK | flag::FIN});
    } else if (e == "FIN-only") {
      send({.seq = peer_, .ack = ours_ - 1, .flags = flag::ACK | flag::FIN});
    } else if (e == "data") {
      send({.seq = peer_, .ack = ours_, .data = "x"});
    } else if (e == "RST") {
      send({.seq = peer_, .flags = flag::RST});
    } else if (e == "SYN") {
      // Counted as a drop where it is answered (a challenge ACK, our
      // SYN-ACK again): any outcome, the next state is what counts.
      send_any({.seq = peer_ - 1, .flags = flag::SYN, .opt = {.mss = 1460}});
    } else if (e == "timeout") {
      for (int i = 0; i < 200; ++i) advance(1000);
    } else {
      return false;
    }
    return true;
  }

  // RFC 9293's spelling (FIN_WAIT_1, CLOSED) to the State; state_name()
  // spells as netstat does (FIN_WAIT1, CLOSE).
  static State state_of(std::string name) {
    if (name == "CLOSED") return State::Closed;
    std::erase(name, '_');
    for (uint8_t i = 0; i <= static_cast<uint8_t>(State::TimeWait); ++i) {
      std::string n(state_name(static_cast<State>(i)));
      std::erase(n, '_');
      if (n == name) return static_cast<State>(i);
    }
    return static_cast<State>(0xff);
  }
};

TEST_F(StateTable, EveryRowHolds) {
  const std::vector<Row> rows = read_table();
  ASSERT_GE(rows.size(), 10u) << "no state table in docs/tcp.md";
  for (const Row& r : rows) {
    SCOPED_TRACE(r.state + " + " + r.event + " -> " + r.next);
    start(small_config());
    ASSERT_TRUE(reach(r.state)) << "cannot reach " << r.state;
    ASSERT_TRUE(apply(r.event)) << "unknown event " << r.event;
    ASSERT_NE(state_of(r.next), static_cast<State>(0xff)) << "unknown state " << r.next;
    EXPECT_EQ(state_name(state()), state_name(state_of(r.next)));
    take();
  }
  start(small_config());  // TearDown wants no connection left
}

// The cases this test drives: each must be in the table.
TEST_F(StateTable, TheTableHasEveryCase) {
  std::set<std::pair<std::string, std::string>> in_table;
  for (const Row& r : read_table()) in_table.insert({r.state, r.event});
  const std::map<std::string, std::vector<std::string>> known = {
      {"SYN_RECV", {"ACK", "RST", "SYN", "timeout"}},
      {"ESTABLISHED", {"data", "FIN", "RST", "SYN", "timeout"}},
      {"FIN_WAIT_1", {"ACK", "FIN", "FIN-only", "RST"}},
      {"FIN_WAIT_2", {"FIN", "RST", "timeout"}},
      {"CLOSING", {"ACK"}},
      {"LAST_ACK", {"ACK", "RST"}},
      {"TIME_WAIT", {"FIN", "timeout"}},
  };
  for (const auto& [s, events] : known)
    for (const std::string& e : events)
      EXPECT_TRUE(in_table.count({s, e})) << "docs/tcp.md lacks " << s << " + " << e;
}

}  // namespace
}  // namespace pmx::tcp::test
