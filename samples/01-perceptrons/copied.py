# For `make demo`'s similarity report: partial.py copied by a second student, who renamed every
# variable and put the two functions the other way round. `make similarity` flags the pair; the
# grade is partial.py's, as the copy's answers are the same.

# %% ex1-threshold-unit
def threshold_unit(inputs, weights, bias):
    return (np.asarray(inputs) @ np.asarray(weights) + bias >= 0).astype(int)


def heaviside(value):
    return (np.asarray(value) > 0).astype(int)

# %% ex2-gates
NOT_W, NOT_B = np.array([-1.0]), 0.5
AND_W, AND_B = np.array([1.0, 1.0]), -1.5
OR_W, OR_B = np.array([1.0, 1.0]), -2.5

# %% ex4-xor-network
XOR_HIDDEN_W = np.array([[1.0, -1.0], [1.0, -1.0]])
XOR_HIDDEN_B = np.array([-0.5, 1.5])
XOR_OUTPUT_W, XOR_OUTPUT_B = np.array([1.0, 1.0]), -1.5
