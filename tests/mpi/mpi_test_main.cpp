// Entry point of the test programs that mpirun starts on several processes: MPI for the
// whole run, one report (rank 0's), the other ranks' failed assertions printed with their
// rank, and a non-zero exit on every rank when any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include <iostream>
#include <string>

#include "platform/distributed/mpi_runtime.h"
#include "platform/logging.h"

namespace {

class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  // The test's name is kept here: OnTestPartResult runs under gtest's own lock, so asking
  // UnitTest::current_test_info() there deadlocks (and the job hangs on the first failure).
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_ = test.test_suite_name() + std::string(".") + test.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cerr << "rank " << rank_ << ": " << test_ << ": " << (result.file_name() ? result.file_name() : "") << ":"
              << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
  std::string test_;
};

}  // namespace

int main(int argc, char** argv) {
  spindle::MpiRuntime mpi;
  ::testing::InitGoogleTest(&argc, argv);
  spindle::configure_logging(spdlog::level::warn, spindle::LogFormat::text);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(rank));
  }
  int failed = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return failed;
}
