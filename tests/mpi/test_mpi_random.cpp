// Several processes each draw their slice of one Philox stream (offset = slice start, the
// way sequence-parallel ranks will); gathered on rank 0 they equal the stream drawn whole.
#include <gtest/gtest.h>
#include <mpi.h>

#include "platform/random.h"

namespace spindle {
namespace {

TEST(MpiRandom, SlicesDrawnOnRanksEqualTheWholeStream) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_GE(size, 2) << "run under mpirun with at least 2 processes";
  const int64_t total = 100003;  // uneven over 2 and 3 ranks
  std::vector<int> counts(size), starts(size);
  for (int r = 0; r < size; ++r) {
    starts[r] = static_cast<int>(total * r / size);
    counts[r] = static_cast<int>(total * (r + 1) / size) - starts[r];
  }
  Tensor mine = Tensor::empty({counts[rank]}, DType::f32);
  RandomStream stream{2024, static_cast<uint64_t>(starts[rank])};
  fill_normal(mine, stream);

  std::vector<float> gathered(rank == 0 ? total : 0);
  MPI_Gatherv(mine.data<float>(), counts[rank], MPI_FLOAT, gathered.data(), counts.data(), starts.data(), MPI_FLOAT, 0,
              MPI_COMM_WORLD);
  if (rank == 0) {
    Tensor whole = Tensor::empty({total}, DType::f32);
    RandomStream single{2024, 0};
    fill_normal(whole, single);
    EXPECT_EQ(gathered, whole.to_vector<float>());
  }
}

}  // namespace
}  // namespace spindle

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {  // one report, from rank 0
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}
