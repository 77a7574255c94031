// A GoogleTest fixture sharing one LoopbackServer across a test suite.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "loopback_server.h"

namespace cwsync::testing {

class LoopbackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<LoopbackServer>(nullptr); }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { server_->reset(nullptr); }
  void TearDown() override { server_->reset(nullptr); }  // wakes stalled handlers

  static LoopbackServer& server() { return *server_; }
  // Installs the handler for this test.
  static void serve(LoopbackServer::Handler h) { server_->reset(std::move(h)); }

 private:
  static inline std::unique_ptr<LoopbackServer> server_;
};

}  // namespace cwsync::testing
