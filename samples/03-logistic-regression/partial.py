# A partly right student for `make demo` (see samples/01-perceptrons/partial.py for the format).

# %% log-ex1-cancer
normalizer = keras.layers.Normalization()
normalizer.adapt(X_train)
cancer_model = keras.Sequential([keras.Input((30,)), normalizer, keras.layers.Dense(1, activation="sigmoid")])
cancer_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy",
                     metrics=["accuracy"])
cancer_history = cancer_model.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)

# %% log-ex2-labels
def predict_labels(model, X, threshold=0.5):
    return model.predict(X, verbose=0)[:, 0] > threshold   # wrong: booleans, and > instead of >=
