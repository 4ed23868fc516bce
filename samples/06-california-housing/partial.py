# A partly right student for `make demo` (see samples/01-perceptrons/partial.py for the format):
# baseline and Keras model right, but the scaler fitted on every row and training cut to one epoch.

# %% cal-ex1-baseline
from sklearn.metrics import root_mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

baseline = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[50, 50, 50], random_state=42))
baseline.fit(X_train, y_train)
baseline_valid_rmse = root_mean_squared_error(y_valid, baseline.predict(X_valid))

# %% cal-ex2-model
norm_layer = keras.layers.Normalization()
norm_layer.adapt(X)  # wrong: every row, test set included
model = keras.Sequential([keras.Input((8,)), norm_layer, keras.layers.Dense(50, activation="relu"),
                          keras.layers.Dense(50, activation="relu"), keras.layers.Dense(50, activation="relu"),
                          keras.layers.Dense(1)])

# %% cal-ex3-train
model.compile(loss="mse", optimizer="adam", metrics=[keras.metrics.RootMeanSquaredError()])
callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
history = model.fit(X_train, y_train, epochs=1, validation_data=(X_valid, y_valid), verbose=0, callbacks=callbacks)

# %% cal-ex4-evaluate
test_mse, test_rmse = model.evaluate(X_test, y_test, verbose=0)
y_new = model.predict(X_test[:3], verbose=0)
