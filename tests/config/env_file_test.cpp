#include "config/env_file.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(EnvFileTest, ParsesAssignmentsCommentsQuotesAndExport) {
  const EnvFile env = parse_env_file(
      "# a comment\n"
      "\n"
      "PLAIN=value\n"
      "export EXPORTED=yes\n"
      "  SPACED  =  padded value  \n"
      "DOUBLE=\"a \\\"quoted\\\" # not a comment\"\n"
      "SINGLE='lit\\eral $HOME'\n"
      "TRAILING=abc # comment\n"
      "EMPTY=\n"
      "CRLF=dos\r\n"
      "PLAIN=later wins\n");
  EXPECT_TRUE(env.bad_lines.empty());
  EXPECT_EQ(env.values.at("PLAIN"), "later wins");
  EXPECT_EQ(env.values.at("EXPORTED"), "yes");
  EXPECT_EQ(env.values.at("SPACED"), "padded value");
  EXPECT_EQ(env.values.at("DOUBLE"), "a \"quoted\" # not a comment");
  EXPECT_EQ(env.values.at("SINGLE"), "lit\\eral $HOME");
  EXPECT_EQ(env.values.at("TRAILING"), "abc");
  EXPECT_EQ(env.values.at("EMPTY"), "");
  EXPECT_EQ(env.values.at("CRLF"), "dos");
}

TEST(EnvFileTest, ReportsMalformedLinesByNumberOnly) {
  const EnvFile env = parse_env_file(
      "GOOD=1\n"
      "no equals sign\n"
      "1BAD=x\n"
      "OPEN=\"unterminated\n"
      "JUNK=\"x\" y\n");
  EXPECT_EQ(env.values.size(), 1u);
  EXPECT_EQ(env.bad_lines, (std::vector<int>{2, 3, 4, 5}));
}

TEST(EnvFileTest, ValidatesVariableNames) {
  EXPECT_TRUE(is_env_name("CONNECTWISE_CPQ_PRIVATE_KEY"));
  EXPECT_TRUE(is_env_name("_x1"));
  EXPECT_FALSE(is_env_name(""));
  EXPECT_FALSE(is_env_name("1X"));
  EXPECT_FALSE(is_env_name("A-B"));
  EXPECT_FALSE(is_env_name("A B"));
}

}  // namespace
}  // namespace cwsync
