// Signed action links (engine/action_link.h): a link verifies only as
// signed, with its secret; the [action_links] config refuses a weak secret;
// the ingest turns a notification's action names into links to its rows.
#include "engine/action_link.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/ingest.h"
#include "tests/unit/test_support.h"

namespace carelog::action_link_test {
namespace {

using testing::TempDir;

constexpr const char* kSecret = "a-secret-of-at-least-thirty-two-bytes!";

ActionLink sample() {
  return ActionLink{"A2SELLER0001", "close", "R1", 1'357'000'000,
                    action_link_nonce("derived:e1:1", "close")};
}

TEST(ActionLink, VerifiesWhatItSignedAndNothingElse) {
  const ActionLinkSigner signer(kSecret, "https://carelog.example/", 86'400);
  const std::string token = signer.token(sample());
  std::optional<ActionLink> link = signer.verify(token);
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->seller_id, "A2SELLER0001");
  EXPECT_EQ(link->action, "close");
  EXPECT_EQ(link->target, "R1");
  EXPECT_EQ(link->expires_s, 1'357'000'000);
  EXPECT_EQ(signer.url(sample()), "https://carelog.example/v1/actions/" + token);
  // Deterministic: the same link, the same bytes (a replay derives them again).
  EXPECT_EQ(signer.token(sample()), token);

  // Another seller, action or expiry under the same MAC: refused.
  ActionLink other = sample();
  other.seller_id = "A9OTHER";
  const std::string forged_payload = signer.token(other).substr(0, signer.token(other).find('.'));
  EXPECT_FALSE(signer.verify(forged_payload + token.substr(token.find('.'))).has_value());
  // Any byte changed: refused.
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    if (altered != token) {
      EXPECT_FALSE(signer.verify(altered).has_value()) << i;
    }
  }
  // Signed with another secret: refused.
  const ActionLinkSigner elsewhere("another-secret-of-thirty-two-bytes-or-more", "https://x", 60);
  EXPECT_FALSE(elsewhere.verify(token).has_value());
  EXPECT_FALSE(signer.verify("").has_value());
  EXPECT_FALSE(signer.verify("no-dot").has_value());
  // Nonces differ per notification and per action.
  EXPECT_NE(action_link_nonce("derived:e1:1", "close"),
            action_link_nonce("derived:e1:1", "authorize"));
  EXPECT_NE(action_link_nonce("derived:e1:1", "close"), action_link_nonce("derived:e2:1", "close"));
}

TEST(ActionLink, TheIngestSignsANotificationsActionsWithItsRows) {
  const ActionLinkSigner signer(kSecret, "https://carelog.example", 3'600);
  Event e;
  e.event_id = "derived:r1:1";
  e.seller_id = "A2SELLER0001";
  e.occurred_at = Timestamp{1'357'000'000'000'000, 0};
  NotificationRequested n;
  n.return_id = "R1";
  n.action_links = std::vector<std::string>{"authorize", "close", "reply"};
  e.data = n;
  sign_action_links(e, signer);
  const auto& links = *std::get<NotificationRequested>(e.data).action_links;
  ASSERT_EQ(links.size(), 2u);  // no message to reply to
  const std::string prefix = "https://carelog.example/v1/actions/";
  ASSERT_EQ(links[0].rfind(prefix, 0), 0u);
  std::optional<ActionLink> authorize = signer.verify(links[0].substr(prefix.size()));
  ASSERT_TRUE(authorize.has_value());
  EXPECT_EQ(authorize->action, "authorize");
  EXPECT_EQ(authorize->target, "R1");
  EXPECT_EQ(authorize->expires_s, 1'357'000'000 + 3'600);
  EXPECT_EQ(signer.verify(links[1].substr(prefix.size()))->action, "close");
}

Status load(const TempDir& dir, const std::vector<std::string>& lines, Config& c) {
  std::string path = dir / "carelog.toml";
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
  out.close();
  return load_config_file(path, c, [](const char*) -> const char* { return nullptr; });
}

TEST(ActionLinkConfig, ASecretOfThirtyTwoBytesAndAnAbsoluteUrl) {
  TempDir dir;
  Config c;
  Status st = load(dir,
                   {"[action_links]", std::string("secret = \"") + kSecret + "\"",
                    "base_url = \"https://carelog.example\"", "ttl_s = 3600"},
                   c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.action_link_secret, kSecret);
  EXPECT_EQ(c.action_link_ttl_s, 3600);

  struct Case {
    std::vector<std::string> lines;
    const char* says;
  };
  const Case bad[] = {
      {{"[action_links]", "secret = \"short\"", "base_url = \"https://x\""},
       "carelog.toml:2: key 'action_links.secret'"},
      {{"[action_links]", std::string("secret = \"") + kSecret + "\"", "base_url = \"ftp://x\""},
       "carelog.toml:3: key 'action_links.base_url'"},
      {{"[action_links]", std::string("secret = \"") + kSecret + "\""}, "a base_url is needed"},
      {{"[action_links]", "base_url = \"https://x\""}, "a secret is needed"},
      {{"[action_links]", std::string("secret = \"") + kSecret + "\"", "base_url = \"https://x\"",
        "ttl_s = 5"},
       "'action_links.ttl_s'"},
      {{"[action_links]", "colour = 1"}, "unknown key"},
  };
  for (const Case& k : bad) {
    Config other;
    Status refused = load(dir, k.lines, other);
    ASSERT_FALSE(refused.ok()) << k.says;
    EXPECT_NE(refused.message().find(k.says), std::string::npos) << refused.message();
    EXPECT_EQ(refused.message().find(kSecret), std::string::npos) << "the secret leaked";
  }
}

}  // namespace
}  // namespace carelog::action_link_test
