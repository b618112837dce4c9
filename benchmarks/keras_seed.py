"""The seed study in Keras (the homework's own code, fixed to start each optimizer fresh).

Runs only where Keras is installed (`pip install keras tensorflow`, a benchmark-only extra).

    python benchmarks/keras_seed.py --epochs 10
"""

from __future__ import annotations

import argparse

from seed_data import FASHION, read_idx


def main() -> None:
    import keras

    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    x_train = read_idx(FASHION / "train-images-idx3-ubyte.gz").astype("float32") / 255
    y_train = read_idx(FASHION / "train-labels-idx1-ubyte.gz")
    x_test = read_idx(FASHION / "t10k-images-idx3-ubyte.gz").astype("float32") / 255
    y_test = read_idx(FASHION / "t10k-labels-idx1-ubyte.gz")
    for name in ("adam", "adagrad", "rmsprop"):
        model = keras.Sequential(
            [
                keras.Input((28, 28)),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(optimizer=name, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(
            x_train,
            y_train,
            batch_size=64,
            epochs=args.epochs,
            validation_data=(x_test, y_test),
            verbose=2,
        )


if __name__ == "__main__":
    main()
