// GradientBuckets over the MPI world (mpirun on 2 and 3 processes, and alone): the sums
// equal the sum of every rank's gradients whatever the bucket size and whatever order the
// parameters become ready in, buckets are reused from step to step, and misuse is an error
// naming the parameter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "platform/distributed/gradient_buckets.h"
#include "platform/distributed/mpi_communicator.h"
#include "tests/support/tensors.h"

namespace spindle {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Awkward gradients: one element, a matrix of odd sides, an empty one, and larger ones.
const std::vector<Shape> kShapes = {{1}, {7, 13}, {0, 5}, {300}, {3, 4, 5}, {17}};
// Their f32 bytes: 4, 364, 0, 1200, 240, 68.

// A model's parameters as GradientBuckets sees them: names and gradients.
struct Parameters {
  std::vector<Parameter> owned;
  std::vector<Parameter*> listed;

  explicit Parameters(DType dtype) {
    for (size_t i = 0; i < kShapes.size(); ++i) {
      std::string name = "p";
      name += std::to_string(i);
      owned.push_back({name, Tensor::zeros(kShapes[i], dtype), Tensor::zeros(kShapes[i], dtype), true});
    }
    for (Parameter& parameter : owned) listed.push_back(&parameter);
  }
};

// Rank `rank`'s gradient of parameter `index` at `step`. With `integers`, whole numbers in
// [-64, 64), whose sums are exact in any order; else uniform in [-1, 1).
Tensor gradient(DType dtype, int rank, size_t index, int step, bool integers) {
  const uint64_t seed = 1000 * static_cast<uint64_t>(step) + 100 * static_cast<uint64_t>(rank) + index;
  std::vector<double> values = testing::to_doubles(testing::random_tensor(kShapes[index], DType::f64, seed, -64, 64));
  for (double& value : values) value = integers ? std::floor(value) : value / 64;
  if (dtype == DType::f64) return Tensor::from_vector(values, kShapes[index]);
  return Tensor::from_vector(std::vector<float>(values.begin(), values.end()), kShapes[index]);
}

// The f64 sum over ranks of gradient(...).
std::vector<double> expected_sum(DType dtype, int ranks, size_t index, int step, bool integers) {
  std::vector<double> sum(static_cast<size_t>(shape_numel(kShapes[index])), 0.0);
  for (int rank = 0; rank < ranks; ++rank) {
    const std::vector<double> values = testing::to_doubles(gradient(dtype, rank, index, step, integers));
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += values[i];
  }
  return sum;
}

class GradientBucketsTest : public ::testing::Test {
 protected:
  // Sets this rank's gradients of `step`.
  void set_gradients(Parameters& parameters, int step, bool integers) {
    for (size_t i = 0; i < parameters.owned.size(); ++i) {
      parameters.owned[i].grad.copy_from(gradient(parameters.owned[i].grad.dtype(), world->rank(), i, step, integers));
    }
  }

  // Every gradient is the sum over the world: exactly for integers, else within `tolerance`.
  void expect_sums(const Parameters& parameters, int step, bool integers, double tolerance, const std::string& context) {
    for (size_t i = 0; i < parameters.owned.size(); ++i) {
      const Parameter& parameter = parameters.owned[i];
      const std::vector<double> expected = expected_sum(parameter.grad.dtype(), world->size(), i, step, integers);
      if (integers) {
        EXPECT_EQ(testing::to_doubles(parameter.grad), expected) << parameter.name << ", " << context;
      } else {
        EXPECT_LE(testing::relative_error(parameter.grad, Tensor::from_vector(expected, kShapes[i])), tolerance)
            << parameter.name << ", " << context;
      }
    }
  }

  std::unique_ptr<MpiCommunicator> world = MpiCommunicator::world();
};

TEST_F(GradientBucketsTest, BucketSizesCutTheListInOrder) {
  const Parameters parameters(DType::f32);
  // One byte: every parameter alone, the empty one too. 400 bytes: {p0, p1, p2} (368 bytes),
  // {p3} (1200, larger than a bucket), {p4, p5} (308). Huge: one bucket.
  EXPECT_EQ(GradientBuckets(parameters.listed, *world, 1).bucket_count(), 6);
  EXPECT_EQ(GradientBuckets(parameters.listed, *world, 400).bucket_count(), 3);
  EXPECT_EQ(GradientBuckets(parameters.listed, *world, int64_t{1} << 40).bucket_count(), 1);
  EXPECT_EQ(GradientBuckets(parameters.listed, *world).bucket_count(), 1);  // 25 MiB
  EXPECT_EQ(GradientBuckets({}, *world).bucket_count(), 0);
}

TEST_F(GradientBucketsTest, SumsEqualTheSumOverRanksForEveryBucketSizeAndReadyOrder) {
  // Ready orders: the listed one a parameter at a time, reversed (later buckets complete
  // first), interleaved, and everything in one call.
  const std::vector<std::vector<std::vector<size_t>>> orders = {
      {{0}, {1}, {2}, {3}, {4}, {5}},
      {{5}, {4}, {3}, {2}, {1}, {0}},
      {{3, 5}, {0}, {4, 2}, {1}},
      {{0, 1, 2, 3, 4, 5}},
  };
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const int64_t bucket_bytes : {int64_t{1}, int64_t{400}, int64_t{1} << 40}) {
      Parameters parameters(dtype);
      GradientBuckets buckets(parameters.listed, *world, bucket_bytes);
      int step = 0;
      for (const bool integers : {true, false}) {
        for (size_t order = 0; order < orders.size(); ++order, ++step) {  // one step each, the same buckets
          const std::string context = std::string(dtype_name(dtype)) + ", buckets of " +
                                      std::to_string(bucket_bytes) + " bytes, order " + std::to_string(order) +
                                      (integers ? ", integers" : ", uniform");
          set_gradients(parameters, step, integers);
          for (const std::vector<size_t>& group : orders[order]) {
            std::vector<Parameter*> ready;
            for (const size_t i : group) ready.push_back(parameters.listed[i]);
            buckets.ready(ready);
          }
          buckets.finish();
          expect_sums(parameters, step, integers, dtype == DType::f32 ? 1e-6 : 1e-15, context);
        }
      }
    }
  }
}

TEST_F(GradientBucketsTest, AParameterMarkedTwiceIsAnError) {
  Parameters parameters(DType::f32);
  GradientBuckets buckets(parameters.listed, *world, 400);
  set_gradients(parameters, 0, true);
  buckets.ready({&parameters.listed[3], 1});
  EXPECT_THAT([&] { buckets.ready({&parameters.listed[3], 1}); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets::ready: parameter p3 is already ready this step")));
  const std::vector<Parameter*> twice = {parameters.listed[0], parameters.listed[0]};
  EXPECT_THAT([&] { buckets.ready(twice); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets::ready: parameter p0 is already ready this step")));
  Parameter stranger{"stranger", Tensor::zeros({1}, DType::f32), Tensor::zeros({1}, DType::f32), true};
  const std::vector<Parameter*> with_stranger = {parameters.listed[1], &stranger};
  EXPECT_THAT([&] { buckets.ready(with_stranger); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets::ready: parameter stranger is not listed")));
  // The refused calls marked nothing: the rest completes the step.
  std::vector<Parameter*> rest = parameters.listed;
  rest.erase(rest.begin() + 3);
  buckets.ready(rest);
  buckets.finish();
  expect_sums(parameters, 0, true, 0, "after the errors");
}

TEST_F(GradientBucketsTest, FinishWithAnUnreadyParameterIsAnErrorNamingIt) {
  Parameters parameters(DType::f32);
  GradientBuckets buckets(parameters.listed, *world, 1);
  set_gradients(parameters, 0, true);
  std::vector<Parameter*> all_but_p4 = parameters.listed;
  all_but_p4.erase(all_but_p4.begin() + 4);
  buckets.ready(all_but_p4);
  EXPECT_THAT([&] { buckets.finish(); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets::finish: parameter p4 is not ready (1 of 6 are not)")));
  // Marking it completes the step.
  buckets.ready({&parameters.listed[4], 1});
  buckets.finish();
  expect_sums(parameters, 0, true, 0, "after the error");
}

TEST_F(GradientBucketsTest, BadParameterListsAreRefused) {
  Parameters parameters(DType::f32);
  EXPECT_THAT([&] { GradientBuckets(parameters.listed, *world, 0); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets: bucket size 0 bytes")));
  std::vector<Parameter*> twice = parameters.listed;
  twice.push_back(parameters.listed[2]);
  EXPECT_THAT([&] { GradientBuckets(twice, *world); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets: p2: listed twice")));
  Parameter wide{"wide", Tensor::zeros({2}, DType::f64), Tensor::zeros({2}, DType::f64), true};
  std::vector<Parameter*> mixed = parameters.listed;
  mixed.push_back(&wide);
  EXPECT_THAT([&] { GradientBuckets(mixed, *world); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets: wide: gradient f64[2] on cpu (expected a gradient on "
                                             "cpu of dtype f32, as p0)")));
  Parameter half{"half", Tensor::zeros({2}, DType::bf16), Tensor::zeros({2}, DType::bf16), true};
  const std::vector<Parameter*> halves = {&half};
  EXPECT_THAT([&] { GradientBuckets(halves, *world); },
              ThrowsMessage<Error>(HasSubstr("GradientBuckets: half: gradient bf16[2] on cpu (expected a dtype world "
                                             "(MPI) sums)")));
}

}  // namespace
}  // namespace spindle
