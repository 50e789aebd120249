// The worker mailbox (lib/worker/mailbox.hpp): every message type survives
// make_msg<T>() -> rte_ring-style byte copy -> payload<T>() with its type,
// port and payload intact, and a payload of the wrong type does not compile.
#include "worker/mailbox.hpp"
#include "worker/worker.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace pmx::worker {
namespace {

// Whether make_msg<T> accepts an argument of type P (false: no overload).
template <MsgType T, class P>
concept Postable = requires(P p) {
  make_msg<T>(p);
};

static_assert(Postable<MsgType::Listen, TcpRequest*>);
static_assert(!Postable<MsgType::Listen, ConnSnapshot*>);
static_assert(!Postable<MsgType::ConnSnapshot, TcpRequest*>);
static_assert(!Postable<MsgType::NeighSnapshot, ListenerSnapshot*>);
static_assert(!Postable<MsgType::GenStart, FlowInfo*>);
static_assert(!Postable<MsgType::FlowInfo, const FlowInfo*>);
static_assert(!Postable<MsgType::NeighUpdate, uint64_t>);
static_assert(std::is_same_v<Payload<MsgType::GenStart>, const gen::RunSet*>);
static_assert(std::is_void_v<Payload<MsgType::Stop>>);
static_assert(!Postable<MsgType::NeighUpdate, net::Ipv4Addr>);
static_assert(sizeof(Msg) == 32 && sizeof(Msg) % 4 == 0, "rte_ring elements: multiples of 4");

// What the ring does with a message: copies its bytes.
Msg through_ring(const Msg& m) {
  unsigned char bytes[sizeof(Msg)];
  std::memcpy(bytes, &m, sizeof m);
  Msg out;
  std::memcpy(&out, bytes, sizeof out);
  return out;
}

template <MsgType T>
void round_trips(Payload<T> p, uint16_t port) {
  const Msg m = through_ring(make_msg<T>(p, port));
  EXPECT_EQ(m.type, T);
  EXPECT_EQ(m.port, port);
  EXPECT_EQ(payload<T>(m), p);
}

template <MsgType T>
void round_trips_empty(uint16_t port) {
  const Msg m = through_ring(make_msg<T>(port));
  EXPECT_EQ(m.type, T);
  EXPECT_EQ(m.port, port);
  EXPECT_EQ(m.arg, 0u);
}

TEST(Mailbox, RequestPointersRoundTrip) {
  TcpRequest req{};
  ConnSnapshot conns{};
  ListenerSnapshot listeners{};
  FlowInfo flows{};
  NeighSnapshot neigh{};
  gen::RunSet set;
  round_trips<MsgType::NeighSnapshot>(&neigh, 0);
  round_trips<MsgType::Listen>(&req, 0);
  round_trips<MsgType::Unlisten>(&req, 0);
  round_trips<MsgType::ConnSnapshot>(&conns, 0);
  round_trips<MsgType::FlowInfo>(&flows, 0);
  round_trips<MsgType::ListenerSnapshot>(&listeners, 0);
  round_trips<MsgType::GenStart>(&set, 0);
}

TEST(Mailbox, MessagesWithoutPayloadKeepTheirPort) {
  round_trips_empty<MsgType::PortPause>(7);
  round_trips_empty<MsgType::PortResume>(31);
  round_trips_empty<MsgType::Stop>(0);
  round_trips_empty<MsgType::GenStop>(0);
}

TEST(Mailbox, NeighUpdateCarriesAddressAndMac) {
  const NeighAddr a{net::IpAddr::of(net::Ipv4Addr{0x010012c6u}), 0x0000'5e00'5301'02aaull};
  const Msg m = through_ring(make_msg<MsgType::NeighUpdate>(a, 3));
  EXPECT_EQ(m.type, MsgType::NeighUpdate);
  EXPECT_EQ(m.port, 3);
  const NeighAddr b = payload<MsgType::NeighUpdate>(m);
  EXPECT_EQ(b.ip, a.ip);
  EXPECT_FALSE(b.ip.v6);
  EXPECT_EQ(b.mac48, a.mac48);
}

// An IPv6 neighbour goes whole (16 bytes and the family) to a sibling.
TEST(Mailbox, NeighUpdateCarriesAnIpv6Address) {
  const NeighAddr a{net::IpAddr::of(*net::parse_ipv6("2001:2::2")), 0x0000'5e00'5301'02aaull};
  const Msg m = through_ring(make_msg<MsgType::NeighUpdate>(a, 31));
  EXPECT_EQ(m.port, 31);
  const NeighAddr b = payload<MsgType::NeighUpdate>(m);
  EXPECT_EQ(b.ip, a.ip);
  EXPECT_TRUE(b.ip.v6);
  EXPECT_EQ(net::to_string(b.ip), "2001:2::2");
  EXPECT_EQ(b.mac48, a.mac48);
  // The same bytes as an IPv4 neighbour would be another neighbour.
  EXPECT_NE(b.ip, net::IpAddr::of(net::Ipv4Addr{0x02000000u}));
}

TEST(Mailbox, TheSequenceNumberIsThePostersAndSurvives) {
  TcpRequest req{};
  Msg m = make_msg<MsgType::Listen>(&req);
  m.word = 0xfffffffeu;  // as Plane::ask stamps it
  const Msg out = through_ring(m);
  EXPECT_EQ(out.word, 0xfffffffeu);
  EXPECT_EQ(payload<MsgType::Listen>(out), &req);
}

}  // namespace
}  // namespace pmx::worker
