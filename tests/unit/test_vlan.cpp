// 802.1Q tag parse (untag) and insert (tag): every tag we do not take is
// refused with exactly one drop counter; a tag taken or put back leaves the
// rest of the frame byte for byte as it was.
#include "frames.hpp"
#include "net/vlan.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

using stats::Ctr;

// An untagged ICMP echo frame, and the same with tags (TPID, TCI pairs)
// inserted after the MAC addresses.
std::vector<uint8_t> plain() { return test::echo_frame({}); }
std::vector<uint8_t> tagged(std::initializer_list<std::pair<uint16_t, uint16_t>> tags) {
  std::vector<uint8_t> f = plain();
  size_t at = 12;
  for (auto [tpid, tci] : tags) {
    const uint8_t t[4] = {uint8_t(tpid >> 8), uint8_t(tpid), uint8_t(tci >> 8), uint8_t(tci)};
    f.insert(f.begin() + static_cast<ptrdiff_t>(at), t, t + 4);
    at += 4;
  }
  return f;
}

std::optional<Ctr> run(std::vector<uint8_t>& f, Untagged& u, size_t len = SIZE_MAX) {
  return untag(f.data(), static_cast<uint16_t>(len == SIZE_MAX ? f.size() : len), u);
}

TEST(Vlan, UntaggedFramePassesUntouched) {
  auto f = plain();
  const auto orig = f;
  Untagged u{7, 7};
  EXPECT_FALSE(run(f, u));
  EXPECT_EQ(u.vlan, 0);
  EXPECT_EQ(u.off, 0);
  EXPECT_EQ(f, orig);
}

TEST(Vlan, TagIsRemovedInPlaceAndItsVidGiven) {
  auto f = tagged({{0x8100, 0xa064}});  // PCP 5, DEI 0, VID 100
  Untagged u;
  ASSERT_FALSE(run(f, u));
  EXPECT_EQ(u.vlan, 100);
  ASSERT_EQ(u.off, kVlanTagLen);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + u.off, f.end()), plain());
}

TEST(Vlan, PriorityTagIsUntagged) {  // IEEE 802.1Q: VID 0 carries only a priority
  auto f = tagged({{0x8100, 0xe000}});
  Untagged u;
  ASSERT_FALSE(run(f, u));
  EXPECT_EQ(u.vlan, 0);
  ASSERT_EQ(u.off, kVlanTagLen);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + u.off, f.end()), plain());
}

TEST(Vlan, EachRefusedTagHasItsOneCounter) {
  struct Case {
    std::vector<uint8_t> f;
    size_t len;
    Ctr want;
  };
  const std::vector<Case> cases = {
      {tagged({{0x8100, 100}}), 17, Ctr::vlan_truncated},  // TCI but one byte of EtherType
      {tagged({{0x8100, 100}}), 15, Ctr::vlan_truncated},  // half a TCI
      {tagged({{0x88a8, 10}, {0x8100, 100}}), SIZE_MAX, Ctr::vlan_qinq},
      {tagged({{0x9100, 10}, {0x8100, 100}}), SIZE_MAX, Ctr::vlan_qinq},
      {tagged({{0x88a8, 10}}), SIZE_MAX, Ctr::vlan_qinq},
      {tagged({{0x8100, 10}, {0x8100, 100}}), SIZE_MAX, Ctr::vlan_qinq},
      {tagged({{0x8100, 10}, {0x88a8, 100}}), SIZE_MAX, Ctr::vlan_qinq},
      {tagged({{0x8100, 0x0fff}}), SIZE_MAX, Ctr::vlan_unknown},  // reserved VID 4095
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto f = cases[i].f;
    const auto orig = f;
    Untagged u;
    auto bad = run(f, u, cases[i].len);
    ASSERT_TRUE(bad) << "case " << i;
    EXPECT_EQ(*bad, cases[i].want) << "case " << i;
    EXPECT_EQ(f, orig) << "case " << i << ": a refused frame is left as it came";
  }
}

// A NIC with VLAN strip offload took the tag off: its TCI comes from the
// mbuf, the data is untagged, and a tag left in the data is a second one.
TEST(Vlan, StrippedTagGivesTheVidAndLeavesTheFrame) {
  auto f = plain();
  Untagged u;
  ASSERT_FALSE(untag(f.data(), static_cast<uint16_t>(f.size()), u, 0xa12c));  // PCP 5, VID 300
  EXPECT_EQ(u.vlan, 300);
  EXPECT_EQ(u.off, 0);
  EXPECT_EQ(f, plain());
  ASSERT_FALSE(untag(f.data(), static_cast<uint16_t>(f.size()), u, 0xe000));  // priority tag
  EXPECT_EQ(u.vlan, 0);
}

TEST(Vlan, StrippedTagRefusals) {
  Untagged u;
  auto inner = tagged({{0x8100, 100}});
  EXPECT_EQ(untag(inner.data(), static_cast<uint16_t>(inner.size()), u, 10), Ctr::vlan_qinq);
  auto stag = tagged({{0x88a8, 100}});
  EXPECT_EQ(untag(stag.data(), static_cast<uint16_t>(stag.size()), u, 10), Ctr::vlan_qinq);
  auto f = plain();
  EXPECT_EQ(untag(f.data(), static_cast<uint16_t>(f.size()), u, 0x0fff), Ctr::vlan_unknown);
}

TEST(Vlan, TooShortForAnEtherTypeIsLeftToIngress) {
  auto f = plain();
  Untagged u;
  EXPECT_FALSE(run(f, u, 13));  // ingress() counts eth_too_short
  EXPECT_EQ(u.off, 0);
}

TEST(Vlan, TagInsertsTpidAndVidAndUntagRoundTrips) {
  for (uint16_t vid : {uint16_t{1}, uint16_t{100}, uint16_t{0xabc}, kMaxVlan}) {
    std::vector<uint8_t> f(kVlanTagLen, 0xee);
    const auto p = plain();
    f.insert(f.end(), p.begin(), p.end());
    tag(f.data(), vid);
    EXPECT_EQ(f, tagged({{0x8100, vid}})) << vid;
    Untagged u;
    ASSERT_FALSE(run(f, u)) << vid;
    EXPECT_EQ(u.vlan, vid);
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + u.off, f.end()), p) << vid;
  }
}

}  // namespace
}  // namespace pmx::net
