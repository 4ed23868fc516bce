"""Evidence for the thresholds of assignment 01 (recorded in docs/calibration.md).

* epochs the reference perceptron rule needs on AND and OR (deterministic: zero start, fixed order),
  for several learning rates: the hidden test allows MAX_EPOCHS_AND_OR;
* scikit-learn Perceptron accuracy on iris setosa-vs-rest over ten random_state seeds:
  the hidden test requires IRIS_MIN_ACCURACY.
"""

import numpy as np
from sklearn.linear_model import Perceptron

from autograder.checks import perceptrons as check
from autograder.notebooks import solution_answers

namespace = {"np": np}
exec(solution_answers("01-perceptrons")["ex3-perceptron-rule"], namespace)
train = namespace["train_perceptron"]

print("epochs to converge (reference rule, zero start):")
for rate in (0.1, 0.5, 1.0, 2.0):
    epochs = {gate: len(train(*check.truth_table(gate), learning_rate=rate, max_epochs=100)[2]) for gate in ("AND", "OR", "NAND")}
    print(f"  learning_rate={rate}: {epochs}  (limit {check.MAX_EPOCHS_AND_OR})")
xor = train(*check.truth_table("XOR"), learning_rate=1.0, max_epochs=1000)[2]
print(f"  XOR after 1000 epochs: min mistakes per epoch = {min(xor)}")

X, y = check.iris_petals_setosa()
scores = [Perceptron(random_state=seed).fit(X, y).score(X, y) for seed in range(10)]
print(f"iris setosa-vs-rest accuracy, random_state 0..9: {[round(s, 3) for s in scores]}"
      f" (min {min(scores):.3f}, threshold {check.IRIS_MIN_ACCURACY})")
