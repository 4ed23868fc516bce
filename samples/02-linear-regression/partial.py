# A partly right student for `make demo` (see samples/01-perceptrons/partial.py for the format).

# %% lin-ex1-build
def build_linear_model(n_features, learning_rate=0.1):
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mean_squared_error")
    return model

# %% lin-ex3-normal-equation
def normal_equation(X, y):
    X_b = np.c_[np.ones(len(X)), X]
    return np.linalg.inv(X_b.T @ X_b) @ X_b.T @ y

# %% lin-ex5-steps
STEPS_PER_EPOCH = {"batch": 1, "mini-batch": 6, "stochastic": 200}   # wrong: 200 / 32 rounds up to 7
