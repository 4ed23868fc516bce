# A partly right student for `make demo` (see samples/01-perceptrons/partial.py for the format):
# data and network right, training not done yet.

# %% mnist-ex1-split
X_train, X_valid = X_train_full[:-5000] / np.float32(255), X_train_full[-5000:] / np.float32(255)
y_train, y_valid = y_train_full[:-5000], y_train_full[-5000:]
X_test = X_test_raw / np.float32(255)

# %% mnist-ex2-build
def build_mlp():
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(300, activation="relu"), keras.layers.Dense(100, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])

# %% mnist-ex3-onehot
y_train_onehot = keras.utils.to_categorical(y_train)
y_valid_onehot = keras.utils.to_categorical(y_valid)
y_test_onehot = y_test   # wrong: not one-hot
