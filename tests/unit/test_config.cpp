#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "kernels/error.h"
#include "platform/config.h"

namespace spindle {
namespace {

// Runs `read` on the parsed text and returns the error message it raised ("" if none).
template <typename Read>
std::string error_of(const std::string& text, Read read) {
  try {
    const ConfigFile file = ConfigFile::parse(text, "train.yaml");
    read(file.root());
    file.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const IntRange kSteps{1, 1000000};

TEST(Config, ReadsTypedValuesAndDefaults) {
  const ConfigFile file = ConfigFile::parse(
      "steps: 500\n"
      "name: run-1\n"
      "optimizer:\n"
      "  lr: 3.0e-4\n"
      "  kind: adamw\n"
      "  betas_x1000: [900, 999]\n"
      "bf16: true\n",
      "train.yaml");
  const ConfigMap root = file.root();
  EXPECT_EQ(root.integer("steps", kSteps), 500);
  EXPECT_EQ(root.text("name"), "run-1");
  EXPECT_EQ(root.boolean("bf16"), true);
  EXPECT_EQ(root.integer("seed", {0, 100}, 42), 42);  // absent: default
  const ConfigMap optimizer = root.map("optimizer");
  EXPECT_DOUBLE_EQ(optimizer.real("lr", {0.0, 1.0}), 3.0e-4);
  EXPECT_EQ(optimizer.choice("kind", {"adamw", "sgd"}), "adamw");
  EXPECT_EQ(optimizer.integers("betas_x1000", {0, 1000}), (std::vector<int64_t>{900, 999}));
  EXPECT_EQ(root.optional_map("schedule").integer("warmup", {0, 10}, 3), 3);
  EXPECT_NO_THROW(file.finish());
}

TEST(Config, UnknownKeyNamesLineAndPath) {
  const std::string message = error_of("steps: 5\noptimizer:\n  lr: 0.1\n  lr_decay: 0.5\n", [](const ConfigMap& root) {
    root.integer("steps", kSteps);
    root.map("optimizer").real("lr", {0, 1});
  });
  EXPECT_EQ(message, "train.yaml:4: optimizer.lr_decay: unknown key (expected only the keys this command reads "
                     "(see its --help and docs))");
}

TEST(Config, WrongTypeNamesLineKeyAndExpectation) {
  const std::string message = error_of("name: x\nsteps: many\n", [](const ConfigMap& root) {
    root.text("name");
    root.integer("steps", kSteps);
  });
  EXPECT_EQ(message, "train.yaml:2: steps: got 'many' (expected an integer in [1, 1000000])");
}

TEST(Config, QuotedNumberIsAString) {
  const std::string message = error_of("steps: \"10\"\n", [](const ConfigMap& root) { root.integer("steps", kSteps); });
  EXPECT_NE(message.find("got the quoted string '10'"), std::string::npos) << message;
}

TEST(Config, OutOfRangeIsAnError) {
  EXPECT_NE(error_of("steps: 0\n", [](const ConfigMap& r) { r.integer("steps", kSteps); })
                .find("train.yaml:1: steps: got 0 (expected an integer in [1, 1000000])"),
            std::string::npos);
  EXPECT_NE(error_of("lr: 2.5\n", [](const ConfigMap& r) { r.real("lr", {0, 1}); }).find("got 2.5"),
            std::string::npos);
  EXPECT_NE(error_of("lr: .nan\n", [](const ConfigMap& r) { r.real("lr", {0, 1}); }).find("train.yaml:1: lr"),
            std::string::npos);
  EXPECT_NE(error_of("b: [1, 2000]\n", [](const ConfigMap& r) { r.integers("b", {0, 1000}); }).find("b[1]"),
            std::string::npos);
}

TEST(Config, FractionalIntegerAndYesForBooleanAreRefused) {
  EXPECT_NE(error_of("steps: 1.5\n", [](const ConfigMap& r) { r.integer("steps", kSteps); }).find("got '1.5'"),
            std::string::npos);
  EXPECT_NE(error_of("bf16: yes\n", [](const ConfigMap& r) { r.boolean("bf16"); }).find("expected true or false"),
            std::string::npos);
}

TEST(Config, MissingRequiredKeyNamesTheMapLine) {
  const std::string message =
      error_of("steps: 3\noptimizer:\n  kind: sgd\n", [](const ConfigMap& root) {
        root.integer("steps", kSteps);
        const ConfigMap optimizer = root.map("optimizer");
        optimizer.choice("kind", {"sgd"});
        optimizer.real("lr", {0, 1});
      });
  EXPECT_NE(message.find("optimizer.lr: required key is missing"), std::string::npos) << message;
  EXPECT_TRUE(message.starts_with("train.yaml:3")) << message;
}

TEST(Config, ChoiceListsTheOptions) {
  const std::string message =
      error_of("kind: adam\n", [](const ConfigMap& r) { r.choice("kind", {"adamw", "sgd"}); });
  EXPECT_EQ(message, "train.yaml:1: kind: got 'adam' (expected one of adamw, sgd)");
}

TEST(Config, DuplicateKeysAndSyntaxErrorsAreRefused) {
  EXPECT_EQ(error_of("steps: 1\nsteps: 2\n", [](const ConfigMap&) {}),
            "train.yaml:2: duplicate key 'steps' (expected each key once per mapping)");
  const std::string syntax = error_of("steps: [1, 2\nname: x\n", [](const ConfigMap&) {});
  EXPECT_TRUE(syntax.starts_with("train.yaml:")) << syntax;
  EXPECT_NE(syntax.find("YAML syntax error"), std::string::npos) << syntax;
  EXPECT_NE(error_of("- 1\n- 2\n", [](const ConfigMap&) {}).find("expected a mapping"), std::string::npos);
}

TEST(Config, DocumentsAfterTheFirstAreRefused) {
  // yaml-cpp's Load reads the first document only; the rest would be ignored silently.
  const auto read_steps = [](const ConfigMap& r) { r.integer("steps", kSteps); };
  EXPECT_EQ(error_of("steps: 1\n---\nsteps: 2\n", read_steps),
            "train.yaml:3: a second YAML document (expected one document per configuration file)");
  EXPECT_TRUE(error_of("steps: 1\n...\nsteps: 2\n", read_steps).starts_with("train.yaml:3: a second"));
  EXPECT_EQ(error_of("---\nsteps: 1\n", read_steps), "");
  EXPECT_EQ(error_of("steps: 1\n---\n", read_steps), "");  // a trailing marker holds nothing
  EXPECT_EQ(error_of("steps: 1\n---\n# end\n...\n", read_steps), "");
  EXPECT_EQ(error_of("", [](const ConfigMap& r) { r.integer("steps", kSteps, 4); }), "");
}

TEST(Config, DottedKeyIsNotTheNestedKeyOfThatPath) {
  const std::string message = error_of("optimizer:\n  lr: 0.1\noptimizer.lr: 7\n", [](const ConfigMap& root) {
    root.map("optimizer").real("lr", {0, 1});
  });
  EXPECT_EQ(message, "train.yaml:3: optimizer.lr: unknown key (expected only the keys this command reads "
                     "(see its --help and docs))");
}

TEST(Config, TaggedScalarIsNotANumberOrBoolean) {
  EXPECT_EQ(error_of("steps: !!str 10\n", [](const ConfigMap& r) { r.integer("steps", kSteps); }),
            "train.yaml:1: steps: got '10' tagged tag:yaml.org,2002:str (expected an integer in [1, 1000000])");
  EXPECT_NE(error_of("lr: !!str 0.5\n", [](const ConfigMap& r) { r.real("lr", {0, 1}); }).find("tagged"),
            std::string::npos);
  EXPECT_NE(error_of("bf16: !!str true\n", [](const ConfigMap& r) { r.boolean("bf16"); }).find("tagged"),
            std::string::npos);
  EXPECT_NE(error_of("b: [1, !custom 2]\n", [](const ConfigMap& r) { r.integers("b", {0, 10}); }).find("b[1]"),
            std::string::npos);
  // Tagged as their own type they are what they say (YAML's core schema).
  EXPECT_EQ(error_of("steps: !!int 10\nlr: !!float 0.5\nbf16: !!bool true\nb: [!!int 1]\n",
                     [](const ConfigMap& r) {
                       EXPECT_EQ(r.integer("steps", kSteps), 10);
                       EXPECT_EQ(r.real("lr", {0, 1}), 0.5);
                       EXPECT_TRUE(r.boolean("bf16"));
                       EXPECT_EQ(r.integers("b", {0, 10}), std::vector<int64_t>{1});
                     }),
            "");
  EXPECT_NE(error_of("steps: !!float 10\n", [](const ConfigMap& r) { r.integer("steps", kSteps); }).find("tagged"),
            std::string::npos);
  // Anchors and aliases keep a plain scalar plain.
  EXPECT_EQ(error_of("a: &n 5\nsteps: *n\n", [](const ConfigMap& r) {
              r.integer("a", kSteps);
              EXPECT_EQ(r.integer("steps", kSteps), 5);
            }),
            "");
}

TEST(Config, ListsOfStringsNameTheBadItem) {
  const ConfigFile file = ConfigFile::parse("records: [chr1, \"chr 2\", 21]\n", "train.yaml");
  EXPECT_EQ(file.root().texts("records"), (std::vector<std::string>{"chr1", "chr 2", "21"}));
  EXPECT_EQ(file.root().texts("absent", std::vector<std::string>{}), std::vector<std::string>{});
  EXPECT_EQ(error_of("records:\n  - chr1\n  - [chr2]\n", [](const ConfigMap& r) { r.texts("records"); }),
            "train.yaml:3: records[1]: got a list (expected a list of strings)");
  EXPECT_EQ(error_of("records: chr1\n", [](const ConfigMap& r) { r.texts("records"); }),
            "train.yaml:1: records: got 'chr1' (expected a list of strings)");
}

TEST(Config, MappingWhereScalarExpected) {
  EXPECT_EQ(error_of("steps:\n  a: 1\n", [](const ConfigMap& r) { r.integer("steps", kSteps); }),
            "train.yaml:2: steps: got a mapping (expected an integer in [1, 1000000])");
}

TEST(Config, LoadsFilesAndNamesMissingOnes) {
  const std::string path = ::testing::TempDir() + "spindle_config_test.yaml";
  {
    std::ofstream out(path);
    out << "steps: 7\n";
  }
  const ConfigFile file = ConfigFile::load(path);
  EXPECT_EQ(file.root().integer("steps", kSteps), 7);
  std::remove(path.c_str());
  try {
    ConfigFile::load(path);
    FAIL() << "loading a missing file did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), path);
  }
}

}  // namespace
}  // namespace spindle
