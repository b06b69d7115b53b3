// berth-lxc-start LXC_PATH NAME [INIT ARG...]: starts the configured container NAME of LXC_PATH,
// daemonized, with INIT ARG... as its init (liblxc's default without). Exits 0 once liblxc reports
// it started; otherwise prints why on stderr and exits 1 (2 for a usage error).
//
// Runtime::Start runs this instead of calling liblxc's start itself, for two reasons that both
// come from the start forking a child that goes on running liblxc's code:
//  - In a multithreaded daemon the child inherits whatever lock another thread held at the fork;
//    under AddressSanitizer it hung in malloc on the allocator's lock and Start never returned.
//  - liblxc 5.0 moves the caller of a daemonized start into the container's lxc.monitor.<name>
//    cgroups. Here that is this short-lived process, not the daemon with all its threads.
// This process has one thread, and it exits as soon as the start is done. (LXD starts its
// containers through a helper process for the same reasons: `lxd forkstart`.)
#include <iostream>
#include <string>
#include <vector>

#include "runtime/lxc_handle.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: berth-lxc-start LXC_PATH NAME [INIT ARG...]\n";
    return 2;
  }
  const std::string lxc_path = argv[1];
  const std::string name = argv[2];
  const std::vector<std::string> init(argv + 3, argv + argc);
  berth::Result<berth::runtime::LxcHandle> h = berth::runtime::LxcHandle::Open(name, lxc_path);
  berth::Status s = h.ok() ? h->Start(init) : h.status();
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
