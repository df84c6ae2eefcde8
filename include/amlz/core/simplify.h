// SPDX-License-Identifier: Apache-2.0
// `amlz show --simplify`: an algorithm cleaned for reading, the way the AutoML-Zero paper cleaned its evolved code.
// Dead instructions go (compile()'s liveness); each variable — a web of definitions and the uses they reach, over
// Setup -> (Predict -> Learn)* -> Predict*, so one address can hold several variables over a step — is named by its
// role where the dataflow shows one: x (features), y (label), pred (prediction), err (label - prediction), lr (a
// constant from Setup that scales an update in Learn), weights w/W/b (read in Predict, updated in Learn), their
// updates dw/dW/db, hidden values h (computed from x in Predict), and 0 for memory that is never written. Variables
// with no clear role keep their address (s3, v2, m0). Every statement keeps its original instruction as a comment.
#pragma once
#include <string>
#include <vector>

#include "amlz/core/algorithm.h"

namespace amlz {

struct SimplifiedStatement {
  Component component;
  size_t position;       // in the source component
  std::string text;      // with role names: "err = y - pred"
  std::string original;  // the instruction as printed: "s3 = s0 - s1"
};

struct SimplifiedName {
  std::string name;  // "w"
  std::string role;  // "v1: weights (read in Predict, updated in Learn)"
};

struct SimplifiedAlgorithm {
  std::vector<SimplifiedStatement> statements;  // the live instructions, in program order
  std::vector<SimplifiedName> names;            // the role names used, in a fixed order (x, y, pred, ...)
  size_t source_size = 0;                       // instructions before dead-code removal
};

SimplifiedAlgorithm simplify(const Algorithm& a);

// The printed form: a legend of the names, then def Setup():/Predict():/Learn(): with one statement per line and the
// original instruction as an aligned comment.
std::string to_text(const SimplifiedAlgorithm& s);

}  // namespace amlz
