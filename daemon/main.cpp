// The cwsync executable. Subcommands register themselves (command.h); this
// file only maps what escapes them to an exit code.
#include <exception>
#include <iostream>

#include "daemon/command.h"

int main(int argc, char** argv) {
  try {
    return cwsync::daemon::run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cwsync: fatal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "cwsync: fatal: unknown exception\n";
  }
  return cwsync::daemon::kExitFailure;
}
