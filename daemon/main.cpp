#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("cwsync %s\n", CWSYNC_VERSION);
    return 0;
  }
  std::fprintf(stderr, "usage: cwsync [--config PATH] COMMAND\n");
  return 2;
}
