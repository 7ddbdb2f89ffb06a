// A failure on some ranks of a job made known to every rank, so that the whole job ends
// with the failing rank's message instead of hanging: a rank that throws would otherwise
// leave the others waiting in their next collective call, which nothing interrupts (and
// MPI_Abort would end the job without the message and without the other ranks' cleanup).
//
// Every rank calls check() at the same points of the job, the same number of times. A rank
// whose own work throws catches the exception and calls fail(), which joins the next
// check() the other ranks make: so between one check() and the next, a rank makes no
// collective call after work that can fail on it alone (check first, then communicate).
//
//   RankFailures failures(world, "score-variants");
//   try {
//     ... while (failures.check(steps_left)) run a step ...; gather; write; failures.check();
//   } catch (...) {
//     failures.fail();  // every rank throws the same Error
//   }
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "platform/distributed/communicator.h"

namespace spindle {

class RankFailures {
 public:
  // `world`: a host communicator (MPI); `task` starts the error ("score-variants").
  RankFailures(Communicator& world, std::string task);

  // Collective. When any rank has called fail(), throws the same Error on every rank:
  // "<task>: rank 1 of 4 failed: <its message>", ranks with the same message named together
  // ("ranks 0-3 of 4 failed: ..."); a world of one rethrows its exception unchanged.
  // Otherwise returns whether any rank passed `more_work` (so that ranks with work left and
  // ranks without can loop on it together). One all_gather of two integers per rank; the
  // messages travel only after a failure.
  bool check(bool more_work = false);

  // Called in a catch block: keeps the exception in flight as this rank's failure and joins
  // the next check(), which throws. An exception that check() threw is rethrown as it is
  // (every rank has it already).
  [[noreturn]] void fail();

 private:
  Communicator& world_;
  std::string task_;
  std::exception_ptr failure_;  // this rank's, kept by fail()
  bool thrown_ = false;         // check() has thrown the job's failure
};

// "rank 2", "ranks 0-3", "ranks 0, 2-3": ascending ranks as the errors of a job name them.
std::string rank_list(const std::vector<int>& ranks);

}  // namespace spindle
