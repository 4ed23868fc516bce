# A partly right student for `make demo` (see samples/01-perceptrons/partial.py for the format).

# %% fashion-ex1-split
X_train, X_valid = X_train_full[:-5000] / 255.0, X_train_full[-5000:] / 255.0   # wrong: float64
y_train, y_valid = y_train_full[:-5000], y_train_full[-5000:]
X_test = X_test_raw / 255.0

# %% fashion-ex2-build
def build_fashion_mlp(dropout_rate=0.2):
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(300, activation="relu"), keras.layers.Dropout(dropout_rate),
                             keras.layers.Dense(100, activation="relu"), keras.layers.Dropout(dropout_rate),
                             keras.layers.Dense(10, activation="softmax")])
