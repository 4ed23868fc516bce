# A partly right student for `make demo`: some exercises right, some wrong, some left blank.
# Each `# %% <grade_id>` line starts the code of that answer cell; cells not named stay blank.

# %% ex1-threshold-unit
def heaviside(z):
    return (np.asarray(z) > 0).astype(int)   # wrong at z == 0: H(0) must be 1


def threshold_unit(x, w, b):
    return (np.asarray(x) @ np.asarray(w) + b >= 0).astype(int)

# %% ex2-gates
NOT_W, NOT_B = np.array([-1.0]), 0.5
AND_W, AND_B = np.array([1.0, 1.0]), -1.5
OR_W, OR_B = np.array([1.0, 1.0]), -2.5      # wrong: this is AND again

# %% ex4-xor-network
XOR_HIDDEN_W = np.array([[1.0, -1.0], [1.0, -1.0]])
XOR_HIDDEN_B = np.array([-0.5, 1.5])
XOR_OUTPUT_W, XOR_OUTPUT_B = np.array([1.0, 1.0]), -1.5
