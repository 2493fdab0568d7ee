#pragma once
// Worker processes for tests of work shared across processes: fork a child
// that runs a function, and the victim-then-survivors schedule of the
// partitioned-job tests.

#include "support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <vector>

namespace worker_processes {

/// Forks a child that runs `body()` and exits with 0, or 1 when it throws;
/// returns the child's pid.
template <class Body>
pid_t fork_running(Body&& body) {
    const pid_t child = fork();
    if (child == 0) {
        int status = 0;
        try {
            body();
        } catch (...) {
            status = 1;
        }
        _exit(status);
    }
    REQUIRE(child > 0);
    return child;
}

/// Runs `victim()` in a child that must die by SIGKILL (it kills itself
/// mid-work), then `survivors` children running `worker()` at once; checks
/// that each survivor exits with 0.
template <class Victim, class Worker>
void victim_then_survivors(Victim&& victim, Worker&& worker, int survivors) {
    const pid_t dead = fork_running(victim);
    int status = 0;
    REQUIRE(waitpid(dead, &status, 0) == dead);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

    std::vector<pid_t> children;
    for (int i = 0; i < survivors; ++i) children.push_back(fork_running(worker));
    for (const pid_t child : children) {
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}

}  // namespace worker_processes
