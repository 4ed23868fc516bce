# A partly right student for `make demo`: a right forward pass, a backward pass that forgets the hidden
# sigmoid's derivative, a one-sided difference, and the symmetry exercise left blank.
# Each `# %% <grade_id>` line starts the code of that answer cell; cells not named stay blank.

# %% bp-ex1-forward
def forward(params, X):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = sigmoid(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": sigmoid(Z2)}


def bce_loss(A2, Y):
    A2 = np.clip(A2, 1e-12, 1 - 1e-12)
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

# %% bp-ex2-backward
def backward(params, cache, X, Y):
    delta2 = (cache["A2"] - Y) / Y.size
    delta1 = delta2 @ params["W2"].T          # wrong: forgets * A1 * (1 - A1)
    return {"dW2": cache["A1"].T @ delta2, "db2": delta2.sum(axis=0),
            "dW1": X.T @ delta1, "db1": delta1.sum(axis=0)}

# %% bp-ex3-numerical
def numerical_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += eps
        grad[index] = (f(shifted) - f(x)) / eps   # one-sided: accurate only to order eps
    return grad

# %% bp-ex4-train
def train(X, Y, n_hidden, learning_rate, epochs, seed=0, scale=1.0):
    params = init_params(X.shape[1], n_hidden, Y.shape[1], seed, scale)
    losses = []
    for _ in range(epochs):
        cache = forward(params, X)
        losses.append(bce_loss(cache["A2"], Y))
        grads = backward(params, cache, X, Y)
        params = {name: value - learning_rate * grads["d" + name] for name, value in params.items()}
    return params, losses
